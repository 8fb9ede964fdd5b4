package verify

import (
	"slices"

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
