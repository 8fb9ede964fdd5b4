package probes

import (
	_ "embed"
)

// Capability is something a recipe promises, and so a set of probes.
type Capability string

// The capabilities, in the order probes run.
const (
	Build    Capability = "build"    // go build/install/run, pure Go
	CGO      Capability = "cgo"      // cgo: a C file, os/user, net's cgo resolver, -tags netgo,osusergo
	Cross    Capability = "cross"    // cross-compiling to windows/amd64 and darwin/arm64
	Test     Capability = "test"     // go test, go test -c
	Race     Capability = "race"     // go test -race
	Cover    Capability = "cover"    // go test -cover
	CoverPkg Capability = "coverpkg" // go test -coverpkg=./... -coverprofile, packages without tests included
	JSON     Capability = "json"     // go test -json
	Fuzz     Capability = "fuzz"     // fuzz seed corpus and a short -fuzz run
	Bench    Capability = "bench"    // go test -bench -benchtime=1x
	Vet      Capability = "vet"      // go vet
	Generate Capability = "generate" // go generate running go run
	Fmt      Capability = "fmt"      // go fmt and gofmt -l
	Mod      Capability = "mod"      // go mod verify, go list -m, go list -deps
	Tools    Capability = "tools"    // go tool nm, objdump, addr2line, buildid, pack, test2json
	Profile  Capability = "profile"  // go tool pprof and go tool trace, in batch mode
	Std      Capability = "std"      // go build std with CGO_ENABLED=0 and 1 (slow; opt-in)
)

// AllCapabilities lists every capability except Std, which is opt-in.
var AllCapabilities = []Capability{Build, CGO, Cross, Test, Race, Cover, CoverPkg, JSON, Fuzz, Bench, Vet, Generate, Fmt, Mod, Tools, Profile}

// Probe is one go command run in the corpus module (or a user module).
type Probe struct {
	// Name identifies the probe in results ("build", "race/test").
	Name string
	// Needs is the capability whose promise the probe checks.
	Needs Capability
	// Tool is the program below GOROOT/bin to run: "go" or "gofmt".
	Tool string
	// Args are its arguments; "$OUT" is replaced by the probe's output
	// directory, whose files become the probe's artifacts, and "$SCRATCH"
	// by a directory for files that are not (profiles, traces).
	Args []string
	// Pre are go commands (arguments, expanded as Args) run first in the
	// same directory and environment, to make what Args inspects (the
	// binary go tool nm reads); the probe fails if one does.
	Pre [][]string
	// Env holds extra NAME=value settings (CGO_ENABLED, GOOS, GOARCH).
	Env []string
	// Dir is the directory to run in, relative to the module root.
	Dir string
	// Stdout records the command's standard output as artifact "stdout".
	Stdout bool
	// Files are module-relative files recorded as artifacts after the run
	// (what go generate and go fmt wrote).
	Files []string
	// SortedLines hashes artifacts with their lines sorted: coverage
	// profiles list the same blocks in an order that may vary.
	SortedLines bool
	// user marks probes of a user module.
	user bool
}

//go:embed corpus.txtar
var corpus []byte

var (
	cgo0 = []string{"CGO_ENABLED=0"}
	cgo1 = []string{"CGO_ENABLED=1"}
)

// Inputs of the tools probes, made by their Pre commands.
var (
	buildHello = []string{"build", "-trimpath", "-o", "$OUT/hello", "./hello"}
	buildLib   = []string{"build", "-trimpath", "-o", "$OUT/lib.a", "./cov/lib"}
	testLib    = []string{"test", "-c", "-trimpath", "-o", "$OUT/lib.test", "./cov/lib"}
	profileLib = []string{"test", "-count=1", "-run=^$", "-bench=.", "-benchtime=100x", "-trimpath",
		"-o", "$SCRATCH/lib.test", "-cpuprofile=$SCRATCH/cpu.prof", "./cov/lib"}
	traceLib = []string{"test", "-count=1", "-run=TestShout", "-trimpath", "-o", "$SCRATCH/lib.test", "-trace=$SCRATCH/trace.out", "./cov/lib"}
)

// Suite returns the probes over the embedded corpus, in run order.
func Suite() []Probe {
	return []Probe{
		{Name: "build", Needs: Build, Env: cgo0, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./hello", "./server", "./asm", "./embedded", "./cov/cmd/tool"}},
		{Name: "install", Needs: Build, Env: append([]string{"GOBIN=$OUT"}, cgo0...), Args: []string{"install", "-trimpath", "./hello"}},
		{Name: "run", Needs: Build, Env: cgo0, Args: []string{"run", "./embedded"}, Stdout: true},
		{Name: "cgo", Needs: CGO, Env: cgo1, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./cgo", "./server"}},
		{Name: "cgo/tags", Needs: CGO, Env: cgo1, Args: []string{"build", "-trimpath", "-tags", "netgo,osusergo,purego", "-o", "$OUT/", "./cgo", "./server"}},
		{Name: "cgo/run", Needs: CGO, Env: cgo1, Args: []string{"run", "./cgo"}},
		{Name: "cross/windows-amd64", Needs: Cross, Env: []string{"CGO_ENABLED=0", "GOOS=windows", "GOARCH=amd64"}, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./hello", "./server", "./asm", "./embedded"}},
		{Name: "cross/darwin-arm64", Needs: Cross, Env: []string{"CGO_ENABLED=0", "GOOS=darwin", "GOARCH=arm64"}, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./hello", "./server", "./asm", "./embedded"}},
		{Name: "test", Needs: Test, Env: cgo0, Args: []string{"test", "-count=1", "./generics", "./cov/...", "./racy"}},
		{Name: "test/binary", Needs: Test, Env: cgo0, Args: []string{"test", "-c", "-trimpath", "-o", "$OUT/lib.test", "./cov/lib"}},
		{Name: "race", Needs: Race, Env: cgo1, Args: []string{"test", "-count=1", "-race", "./racy", "./cov/lib"}},
		{Name: "race/binary", Needs: Race, Env: cgo1, Args: []string{"test", "-race", "-c", "-trimpath", "-o", "$OUT/racy.test", "./racy"}},
		{Name: "cover", Needs: Cover, Env: cgo0, Args: []string{"test", "-count=1", "-cover", "./cov/lib"}},
		{Name: "coverpkg", Needs: CoverPkg, Env: cgo0, Args: []string{"test", "-count=1", "-coverpkg=./...", "-coverprofile=$OUT/cover.out", "./..."}, SortedLines: true},
		{Name: "json", Needs: JSON, Env: cgo0, Args: []string{"test", "-count=1", "-json", "./cov/lib"}},
		{Name: "fuzz/seeds", Needs: Fuzz, Env: cgo0, Args: []string{"test", "-count=1", "-run=FuzzReverse", "./fuzz"}},
		{Name: "fuzz/run", Needs: Fuzz, Env: cgo0, Args: []string{"test", "-count=1", "-run=^$", "-fuzz=FuzzReverse", "-fuzztime=50x", "./fuzz"}},
		{Name: "bench", Needs: Bench, Env: cgo0, Args: []string{"test", "-count=1", "-run=^$", "-bench=.", "-benchtime=1x", "./cov/lib"}},
		{Name: "vet", Needs: Vet, Env: cgo0, Args: []string{"vet", "./..."}},
		{Name: "vet/cgo", Needs: Vet, Env: cgo1, Args: []string{"vet", "./cgo"}},
		{Name: "generate", Needs: Generate, Env: cgo0, Args: []string{"generate", "./gen"}, Files: []string{"gen/const_gen.go"}},
		{Name: "fmt/gofmt", Needs: Fmt, Tool: "gofmt", Args: []string{"-l", "fmtme"}, Stdout: true},
		{Name: "fmt/go", Needs: Fmt, Args: []string{"fmt", "./fmtme"}, Files: []string{"fmtme/ugly.go"}},
		{Name: "mod/verify", Needs: Mod, Args: []string{"mod", "verify"}},
		{Name: "mod/list", Needs: Mod, Args: []string{"list", "-m", "all"}, Stdout: true},
		{Name: "mod/tidy", Needs: Mod, Args: []string{"mod", "tidy"}, Files: []string{"go.mod"}},
		{Name: "mod/deps", Needs: Mod, Env: cgo0, Args: []string{"list", "-deps", "./..."}, Stdout: true},
		// Smaller versions of build, test and vet, without net/http, for a
		// toolchain running under an emulator (verify --platform).
		{Name: "foreign/build", Needs: Build, Env: cgo0, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./hello", "./asm", "./embedded", "./cov/cmd/tool"}},
		{Name: "foreign/test", Needs: Test, Env: cgo0, Args: []string{"test", "-count=1", "./generics", "./cov/..."}},
		{Name: "foreign/vet", Needs: Vet, Env: cgo0, Args: []string{"vet", "./hello", "./asm", "./embedded", "./generics", "./cov/..."}},
		// go tool output on the same -trimpath binary is the same bytes.
		{Name: "tools/nm", Needs: Tools, Env: cgo0, Pre: [][]string{buildHello}, Args: []string{"tool", "nm", "-n", "-size", "$OUT/hello"}, Stdout: true},
		{Name: "tools/objdump", Needs: Tools, Env: cgo0, Pre: [][]string{buildHello}, Args: []string{"tool", "objdump", "-s", `^main\.main$`, "$OUT/hello"}, Stdout: true},
		{Name: "tools/addr2line", Needs: Tools, Env: cgo0, Pre: [][]string{buildHello}, Args: []string{"run", "./tooldriver", "addr2line", "$OUT/hello"}, Stdout: true},
		{Name: "tools/buildid", Needs: Tools, Env: cgo0, Pre: [][]string{buildHello}, Args: []string{"tool", "buildid", "$OUT/hello"}, Stdout: true},
		{Name: "tools/pack", Needs: Tools, Env: cgo0, Pre: [][]string{buildLib}, Args: []string{"tool", "pack", "t", "$OUT/lib.a"}, Stdout: true},
		// test2json's events carry timings: the outcome is compared, not the bytes.
		{Name: "tools/test2json", Needs: Tools, Env: cgo0, Pre: [][]string{testLib}, Args: []string{"tool", "test2json", "-p", "probe/cov/lib", "$OUT/lib.test", "-test.v", "-test.run=^TestShout$"}},
		// Profiles and traces differ from run to run: outcomes only.
		{Name: "profile/pprof", Needs: Profile, Env: cgo0, Pre: [][]string{profileLib}, Args: []string{"tool", "pprof", "-top", "$SCRATCH/lib.test", "$SCRATCH/cpu.prof"}},
		{Name: "profile/trace", Needs: Profile, Env: cgo0, Pre: [][]string{traceLib}, Args: []string{"tool", "trace", "-pprof=sched", "$SCRATCH/trace.out"}},
		{Name: "std/cgo0", Needs: Std, Env: cgo0, Args: []string{"build", "std"}},
		{Name: "std/cgo1", Needs: Std, Env: cgo1, Args: []string{"build", "std"}},
	}
}

// userProbes are run in each user module given with Options.UserModules.
func userProbes() []Probe {
	return []Probe{
		{Name: "build", Needs: Build, user: true, Args: []string{"build", "-trimpath", "-o", "$OUT/", "./..."}},
		{Name: "vet", Needs: Vet, user: true, Args: []string{"vet", "./..."}},
		{Name: "test", Needs: Test, user: true, Args: []string{"test", "-count=1", "./..."}},
	}
}
