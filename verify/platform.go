package verify

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/gorootimg/gorootimg/probes"
)

// Modes of a verification, as Report.Mode names them.
const (
	// ModeNative runs the image's toolchain on its own platform, the
	// host's (Report.Mode is empty then).
	ModeNative = ""
	// ModeEmulated runs the toolchain of a foreign image through a
	// binfmt_misc emulator (qemu-user) and compares with the host's full
	// SDK cross-compiling to the image's platform.
	ModeEmulated = "emulated"
	// ModeCross runs the host image's toolchain cross-compiling to another
	// platform, for an image (index) without that platform, and compares
	// with the full SDK cross-compiling there.
	ModeCross = "cross"
)

// foreignProbes are the probes verify runs for a platform other than the
// host's, in ModeEmulated and ModeCross: pure Go (cgo and -race would need
// the target's C toolchain), without net/http and the on-demand go tools
// (an emulator runs the compiler many times slower), enough to show the
// toolchain builds the same bytes, runs what it builds, tests, vets,
// formats and lists modules. runs marks the probes that execute what they
// build: in ModeCross they need an emulator for the target. (Not install:
// the go command refuses to install cross-compiled binaries into GOBIN,
// so the reference cannot.)
var foreignProbes = []struct {
	name string
	runs bool
}{
	{"foreign/build", false},
	{"run", true},
	{"foreign/test", true},
	{"test/binary", false},
	{"foreign/vet", false},
	{"fmt/gofmt", false},
	{"mod/list", false},
}

// foreignSubset returns the names of the foreign probes that check one of
// caps, leaving out those that run target binaries unless canRun.
func foreignSubset(caps []probes.Capability, canRun bool) []string {
	needs := map[string]probes.Capability{}
	for _, p := range probes.Suite() {
		needs[p.Name] = p.Needs
	}
	var names []string
	for _, p := range foreignProbes {
		if slices.Contains(caps, needs[p.name]) && (canRun || !p.runs) {
			names = append(names, p.name)
		}
	}
	return names
}

// binfmtDir is where Linux shows the binfmt_misc handlers.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtHandler is one registered binfmt_misc handler of the magic kind.
type binfmtHandler struct {
	Name        string
	Interpreter string
	Flags       string
	offset      int
	magic, mask []byte
}

// matches reports whether the kernel would run a file starting with head
// through h.
func (h *binfmtHandler) matches(head []byte) bool {
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

// String names the handler for reports: "qemu-aarch64 (/usr/libexec/...,
// flags POF)".
func (h *binfmtHandler) String() string {
	return fmt.Sprintf("binfmt_misc %s (%s, flags %s)", h.Name, h.Interpreter, h.Flags)
}

// findBinfmt returns the enabled binfmt_misc handler that runs files
// starting with head, or an error that says how to register one.
func findBinfmt(head []byte, platform string) (*binfmtHandler, error) {
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
		if h := parseBinfmt(e.Name(), string(b)); h != nil && h.matches(head) {
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

// parseBinfmt parses the file the kernel shows for a handler; nil for a
// disabled one or one that matches by extension.
func parseBinfmt(name, text string) *binfmtHandler {
	h := &binfmtHandler{Name: name}
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

// elfMachines gives, per Linux GOARCH, the ELF class, byte order and
// machine of its executables.
var elfMachines = map[string]struct {
	class   byte // 1 = 32-bit, 2 = 64-bit
	big     bool
	machine uint16
}{
	"386": {1, false, 3}, "amd64": {2, false, 62}, "arm": {1, false, 40}, "arm64": {2, false, 183},
	"loong64": {2, false, 258}, "mips": {1, true, 8}, "mipsle": {1, false, 8}, "mips64": {2, true, 8},
	"mips64le": {2, false, 8}, "ppc64": {2, true, 21}, "ppc64le": {2, false, 21}, "riscv64": {2, false, 243},
	"s390x": {2, true, 22},
}

// elfHeader returns the first bytes of a Linux executable for goarch, as
// the go command writes them, or nil for another OS or an unknown
// architecture.
func elfHeader(goos, goarch string) []byte {
	m, ok := elfMachines[goarch]
	if goos != "linux" || !ok {
		return nil
	}
	h := make([]byte, 20)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = m.class, 1, 1
	var order binary.ByteOrder = binary.LittleEndian
	if m.big {
		h[5], order = 2, binary.BigEndian
	}
	order.PutUint16(h[16:], 2) // ET_EXEC
	order.PutUint16(h[18:], m.machine)
	return h
}

// fileHead reads the first 128 bytes of a file.
func fileHead(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 128)
	n, _ := f.Read(b)
	return bytes.Clone(b[:n]), nil
}
