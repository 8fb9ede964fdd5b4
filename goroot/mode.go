package goroot

import (
	"io/fs"
	"path"
	"strings"
)

// ModeOf returns the permission bits a GOROOT file gets from its role, as
// cmd/distpack assigns them: 0755 for bin/, pkg/tool/, shell, rc and perl
// scripts and the go_*_*_exec wrappers (go_js_wasm_exec,
// go_wasip1_wasm32_exec); 0644 for everything else. name is slash-separated
// and relative to GOROOT. The SDK normaliser, the layer writer and the LLB
// context all use it, so a file has the same mode whichever path it takes.
func ModeOf(name string) fs.FileMode {
	if strings.HasPrefix(name, "bin/") ||
		strings.HasPrefix(name, "pkg/tool/") ||
		strings.HasSuffix(name, ".bash") ||
		strings.HasSuffix(name, ".sh") ||
		strings.HasSuffix(name, ".pl") ||
		strings.HasSuffix(name, ".rc") ||
		isExecWrapper(path.Base(name)) {
		return 0o755
	}
	return 0o644
}

// isExecWrapper matches go_?*_?*_exec.
func isExecWrapper(base string) bool {
	rest, ok := strings.CutPrefix(base, "go_")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, "_exec")
	if !ok {
		return false
	}
	a, b, ok := strings.Cut(rest, "_")
	return ok && a != "" && b != ""
}

// UnixMode is m's permission bits with setuid, setgid and sticky as
// chmod(2) and tar headers number them (04000, 02000, 01000): a 1777
// directory such as /tmp or a shared cache stays 1777. The layer writer
// and the LLB definition both use it.
func UnixMode(m fs.FileMode) uint32 {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return n
}
