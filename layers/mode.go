package layers

import (
	"io/fs"
	"path"
	"strings"
)

// GOROOTMode returns the permission bits a GOROOT file gets in an image,
// from its role as cmd/distpack decides it: executables in bin/ and
// pkg/tool/, shell/rc/perl scripts and go_*_exec wrappers are 0755,
// everything else 0644. name is relative to GOROOT ("bin/go").
func GOROOTMode(name string) fs.FileMode {
	if strings.HasPrefix(name, "bin/") ||
		strings.HasPrefix(name, "pkg/tool/") ||
		strings.HasSuffix(name, ".bash") ||
		strings.HasSuffix(name, ".sh") ||
		strings.HasSuffix(name, ".pl") ||
		strings.HasSuffix(name, ".rc") {
		return 0o755
	}
	if base := path.Base(name); strings.HasPrefix(base, "go_") && strings.HasSuffix(base, "_exec") && strings.Count(base, "_") >= 3 {
		return 0o755
	}
	return 0o644
}
