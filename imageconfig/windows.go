package imageconfig

import (
	"strings"
)

// WindowsGOPATH is the GOPATH a Windows image's config sets, as the
// official golang Windows images do.
const WindowsGOPATH = `C:\go`

// DefaultWindowsPATH is the PATH a Windows image gets when its base sets
// none (the one nanoserver and servercore set).
const DefaultWindowsPATH = `C:\Windows\system32;C:\Windows`

// windowsEnv is the Env of a Windows image on a base whose Env is base:
// GOROOT, GOPATH, GOTOOLCHAIN=local and a PATH, separated by ";", that
// starts with %GOPATH%\bin and %GOROOT%\bin and keeps the base's folders.
// Windows names variables without regard to case, so a base's "Path" is
// its PATH. No GOENV, GOCACHE or working directory is set: the go command's
// defaults below the user's profile are the Windows ones.
func windowsEnv(base []string, goroot string) []string {
	basePath := DefaultWindowsPATH
	var env []string
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "PATH":
			basePath = v
		case "GOROOT", "GOPATH", "GOTOOLCHAIN":
		default:
			env = append(env, kv)
		}
	}
	gobin, gorootBin := WindowsGOPATH+`\bin`, strings.TrimSuffix(goroot, `\`)+`\bin`
	p := []string{gobin, gorootBin}
	for _, dir := range strings.Split(basePath, ";") {
		if dir != "" && !strings.EqualFold(dir, gobin) && !strings.EqualFold(dir, gorootBin) {
			p = append(p, dir)
		}
	}
	return append(env,
		"PATH="+strings.Join(p, ";"),
		"GOROOT="+goroot,
		"GOPATH="+WindowsGOPATH,
		"GOTOOLCHAIN=local",
	)
}
