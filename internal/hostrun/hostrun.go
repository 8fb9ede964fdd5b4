package hostrun

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// binfmtDir is where Linux shows the binfmt_misc handlers.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// Handler is one registered binfmt_misc handler of the magic kind.
type Handler struct {
	// Name is the handler's name ("qemu-aarch64").
	Name string
	// Interpreter is the program that runs the binaries.
	Interpreter string
	// Flags are the handler's flags ("POCF").
	Flags       string
	offset      int
	magic, mask []byte
}

// Fixed reports whether h has the F flag: the kernel opened its
// interpreter when it was registered, so it runs binaries inside a chroot
// or container whose file system lacks the interpreter.
func (h *Handler) Fixed() bool { return strings.Contains(h.Flags, "F") }

// matches reports whether the kernel would run a file starting with head
// through h.
func (h *Handler) matches(head []byte) bool {
	if h.offset+len(h.magic) > len(head) {
		return false
	}
	for i, m := range h.magic {
		mask := byte(0xff)
		if i < len(h.mask) {
			mask = h.mask[i]
		}
		if head[h.offset+i]&mask != m&mask {
			return false
		}
	}
	return true
}

// String names the handler for reports: "binfmt_misc qemu-aarch64
// (/usr/libexec/..., flags POF)".
func (h *Handler) String() string {
	return fmt.Sprintf("binfmt_misc %s (%s, flags %s)", h.Name, h.Interpreter, h.Flags)
}

// Check says how this host runs the executables of goos/goarch: natively
// (a nil Handler), through the binfmt_misc handler it returns, or not at
// all (an error that says how to register a handler).
func Check(goos, goarch string) (*Handler, error) {
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		return nil, nil
	}
	platform := goos + "/" + goarch
	head := ELFHeader(goos, goarch)
	if head == nil {
		return nil, fmt.Errorf("%s binaries cannot run on this %s/%s host: only Linux executables run through binfmt_misc, and gorootimg knows no ELF header for %s", platform, runtime.GOOS, runtime.GOARCH, goarch)
	}
	return Find(head, platform)
}

// Find returns the enabled binfmt_misc handler that runs files starting
// with head (the first bytes of a platform's executable, see FileHead and
// ELFHeader), or an error that says how to register one.
func Find(head []byte, platform string) (*Handler, error) {
	hint := fmt.Sprintf("no binfmt_misc handler for %s binaries is registered: as root, mount binfmt_misc on %s if it is not mounted and register qemu-user-static's handler with the F flag (docs/diff-verify.md)", platform, binfmtDir)
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("running %s binaries needs Linux binfmt_misc and qemu-user; this host is %s", platform, runtime.GOOS)
	}
	if b, err := os.ReadFile(filepath.Join(binfmtDir, "status")); err != nil || strings.TrimSpace(string(b)) != "enabled" {
		return nil, fmt.Errorf("%s (binfmt_misc status: %v)", hint, statusOf(b, err))
	}
	ents, err := os.ReadDir(binfmtDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hint, err)
	}
	for _, e := range ents {
		if e.Name() == "status" || e.Name() == "register" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(binfmtDir, e.Name()))
		if err != nil {
			continue
		}
		if h := parse(e.Name(), string(b)); h != nil && h.matches(head) {
			return h, nil
		}
	}
	return nil, fmt.Errorf("%s", hint)
}

func statusOf(b []byte, err error) string {
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

// parse parses the file the kernel shows for a handler; nil for a
// disabled one or one that matches by extension.
func parse(name, text string) *Handler {
	h := &Handler{Name: name}
	enabled := false
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch k {
		case "enabled":
			enabled = true
		case "interpreter":
			h.Interpreter = v
		case "flags:":
			h.Flags = v
		case "offset":
			h.offset, _ = strconv.Atoi(v)
		case "magic":
			h.magic, _ = hex.DecodeString(v)
		case "mask":
			h.mask, _ = hex.DecodeString(v)
		}
	}
	if !enabled || len(h.magic) == 0 {
		return nil
	}
	return h
}
