package goroot

import (
	"fmt"
	"path"
	"strings"
)

// DefaultWindowsImagePath is where Windows images keep the GOROOT unless
// told otherwise: where the official golang Windows images keep it.
const DefaultWindowsImagePath = `C:\Program Files\Go`

// WindowsFiles and WindowsHives are the two top-level folders of a Windows
// image layer: the file system of drive C: and the registry hives.
const (
	WindowsFiles = "Files"
	WindowsHives = "Hives"
)

// IsWindowsPath reports whether p is written as a Windows drive-letter
// path ("C:\Program Files\Go", "c:/go"), the form a Windows image's
// GOROOT takes.
func IsWindowsPath(p string) bool {
	return len(p) >= 2 && p[1] == ':' && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z')
}

// CleanWindowsImagePath returns the canonical form of p, a GOROOT inside
// a Windows image: drive C: (upper case), backslashes, no trailing one
// ("c:/go/" is `C:\go`). A Windows image's file system is drive C: (the
// Files folder of its layers), so another drive is refused: it would be a
// volume, not part of the image. Components that are empty, "." or "..",
// or a layer whiteout name (".wh." prefix) are refused too.
func CleanWindowsImagePath(p string) (string, error) {
	if !IsWindowsPath(p) {
		return "", fmt.Errorf("%q is not a Windows drive-letter path such as %s", p, DefaultWindowsImagePath)
	}
	if p[0]|0x20 != 'c' {
		return "", fmt.Errorf("%q: a Windows image's file system is drive C:; another drive is a volume, not part of the image (want a path such as %s)", p, DefaultWindowsImagePath)
	}
	rest := strings.ReplaceAll(p[2:], "/", `\`)
	if !strings.HasPrefix(rest, `\`) {
		return "", fmt.Errorf("%q is not an absolute path: want C:\\ and a folder, such as %s", p, DefaultWindowsImagePath)
	}
	rest = strings.TrimSuffix(rest[1:], `\`)
	if rest == "" {
		return "", fmt.Errorf("%q is the drive's root: want a folder below it, such as %s", p, DefaultWindowsImagePath)
	}
	for _, e := range strings.Split(rest, `\`) {
		if e == "" || e == "." || e == ".." || strings.HasPrefix(e, ".wh.") || strings.ContainsAny(e, `<>:"|?*`) {
			return "", fmt.Errorf("%q is not a clean absolute folder inside the image: want a path such as %s", p, DefaultWindowsImagePath)
		}
	}
	return `C:\` + rest, nil
}

// CheckAnyImagePath checks a GOROOT path for an image of any OS: a Unix
// path (CheckImagePath) or a Windows one (CleanWindowsImagePath).
func CheckAnyImagePath(p string) error {
	if IsWindowsPath(p) {
		_, err := CleanWindowsImagePath(p)
		return err
	}
	return CheckImagePath(p)
}

// LayerDir is the slash path, relative to the layer's root, of the
// folder p names inside an image: "usr/local/go" for "/usr/local/go", and
// "Files/Program Files/Go" for `C:\Program Files\Go` (a Windows layer
// keeps drive C: below Files). p must have passed CheckAnyImagePath.
func LayerDir(p string) string {
	if IsWindowsPath(p) {
		return path.Join(WindowsFiles, strings.ReplaceAll(strings.Trim(p[2:], `\/`), `\`, "/"))
	}
	return strings.TrimPrefix(path.Clean(p), "/")
}

// JoinImagePath joins a slash path below the GOROOT p to it in p's own
// form: `C:\Program Files\Go\bin\go.exe` for a Windows p.
func JoinImagePath(p, rel string) string {
	if IsWindowsPath(p) {
		return strings.TrimSuffix(p, `\`) + `\` + strings.ReplaceAll(rel, "/", `\`)
	}
	return path.Join(p, rel)
}
