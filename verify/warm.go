package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/warmcache"
)

// The checks of a warm-cache image (docs/warm-cache.md), run only when
// the image carries imageconfig.LabelWarmCache.
const (
	// WarmNoStdCompile: the first go build -x of a net/http program, with
	// the image's toolchain and a copy of its GOCACHE, compiles main and
	// no standard-library package.
	WarmNoStdCompile = "warm/no-std-compile"
	// WarmBuild: that binary (built without -trimpath, which would use
	// other cache keys) is byte-identical to the full SDK's build at the
	// same GOROOT path with an empty cache.
	WarmBuild = "warm/build"
	// WarmRace: with race in the label, go test -race of a small package
	// compiles no standard-library package.
	WarmRace = "warm/race"
	// WarmVet: with vet in the label, the first go test -x of a package
	// whose test uses net/http/httptest compiles no standard-library
	// package and runs vet once, for that package: the facts of its
	// standard-library imports come from the cache.
	WarmVet = "warm/vet"
)

const warmModPath = "example.com/warm"

var warmFiles = map[string]string{
	"go.mod": "module " + warmModPath + "\n\ngo 1.21\n",
	"main.go": `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	fmt.Println(http.ListenAndServe(":8080", nil))
}
`,
	"web/web_test.go": `package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHello(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
`,
	"racy/racy.go": `package racy

// Count adds n to a counter from two goroutines, with a lock.
func Count(n int) int {
	c := make(chan int)
	go func() { c <- n }()
	return <-c + n
}
`,
	"racy/racy_test.go": `package racy

import "testing"

func TestCount(t *testing.T) {
	if got := Count(2); got != 4 {
		t.Fatalf("Count(2) = %d, want 4", got)
	}
}
`,
}

// warmChecks runs the warm-cache checks when the image's label lists
// warm-cache variants, and adds their verdicts to rep.Probes.
func (v *verifier) warmChecks(ctx context.Context, rep *Report, img v1.Image, label string, t *tree) error {
	rep.WarmCache = label
	if !rep.Sandboxed || rep.Mode != ModeNative && rep.Mode != ModeEmulated {
		rep.Skipped = append(rep.Skipped, Skip{Capability: "warm-cache", Reason: "the warm cache is checked only sandboxed with the image's own toolchain (natively or under emulation), with its own Env"})
		return nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	w := &warmRun{v: v, t: t, imgEnv: cf.Config.Env, gocache: getEnv(cf.Config.Env, "GOCACHE"), in: "/tmp/gorootimg-verify/warm"}
	fail := func(reason string) {
		for _, n := range []string{WarmNoStdCompile, WarmBuild} {
			rep.Probes = append(rep.Probes, Probe{Name: n, Status: StatusFail, Reason: reason})
		}
	}
	if !strings.HasPrefix(w.gocache, "/") {
		fail(fmt.Sprintf("the image has label %s=%s but its Env sets no absolute GOCACHE (%q)", imageconfig.LabelWarmCache, label, w.gocache))
		return nil
	}
	if reason, err := w.prepare(ctx); err != nil || reason != "" {
		if reason != "" {
			fail(reason)
		}
		return err
	}

	v.logf("verify: checking the warm cache (%s) with the image's toolchain", label)
	imgOut, imgErr := w.run(ctx, t.sb, t.goroot, w.env(w.cacheCopy()), "build", "-x", "-o", w.host(w.imageBin()), ".")
	p := w.noStdCompile(imgOut, imgErr)
	rep.Probes = append(rep.Probes, p)
	v.logf("image: %-4s %s", strings.ToUpper(p.Status), WarmNoStdCompile)

	b := Probe{Name: WarmBuild, Status: StatusPass}
	if imgErr != nil {
		b.Status, b.Reason = StatusFail, "the image's build failed (see "+WarmNoStdCompile+")"
	} else if err := v.warmReference(ctx, rep, &b, w); err != nil {
		return err
	}
	rep.Probes = append(rep.Probes, b)
	v.logf("reference: %-4s %s", strings.ToUpper(b.Status), WarmBuild)

	if slices.Contains(strings.Split(label, ","), "race") {
		w.race(ctx, rep)
	}
	if slices.Contains(strings.Split(label, ","), "vet") {
		w.vet(ctx, rep)
	}
	return nil
}

// vetRun matches the vet tool's run in go test -x output.
var vetRun = regexp.MustCompile(`(?m)/vet\S* .*vet\.cfg`)

// vet runs the first go test of a package using httptest with the
// image's cache (WarmVet).
func (w *warmRun) vet(ctx context.Context, rep *Report) {
	r := Probe{Name: WarmVet, Status: StatusPass}
	out, err := w.run(ctx, w.t.sb, w.t.goroot, w.env(w.cacheCopy()), "test", "-x", "-count=1", "./web")
	std, _ := warmcache.CompiledStd(out)
	vets := len(vetRun.FindAllString(out, -1))
	switch {
	case err != nil:
		r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -x ./web: %v\n%s", err, tail(out, 40))
	case len(std) > 0:
		r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -x ./web with the image's GOCACHE %s compiled %d standard-library packages: %s", w.gocache, len(std), strings.Join(std, " "))
	case vets != 1:
		r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -x ./web with the image's GOCACHE %s ran vet %d times, want once (for ./web): the standard library's vet facts are not in the cache", w.gocache, vets)
	}
	rep.Probes = append(rep.Probes, r)
	w.v.logf("image: %-4s %s", strings.ToUpper(r.Status), WarmVet)
}

// warmRun is the workspace of the warm-cache checks inside the sandbox
// root. Both builds use the same paths: without -trimpath the module's
// directory is in the binary.
type warmRun struct {
	v       *verifier
	t       *tree
	imgEnv  []string // the image's Env
	gocache string   // the image's GOCACHE
	in      string   // the workspace, as a path inside the root
}

// host is where p (a path inside the root) is on the host.
func (w *warmRun) host(p string) string {
	return filepath.Join(w.t.sb.Root, filepath.FromSlash(p))
}

// src is the test module's directory, cacheCopy the copy of the image's
// GOCACHE, imageBin the image's build of the program.
func (w *warmRun) src() string       { return path.Join(w.in, "src") }
func (w *warmRun) cacheCopy() string { return path.Join(w.in, "image-cache") }
func (w *warmRun) imageBin() string  { return path.Join(w.in, "image-out", "hello") }

// prepare writes the test module and copies the image's cache (copy on
// write where the file system can), so the checks read the warm entries
// and change nothing of the image's. A non-empty reason fails the checks.
func (w *warmRun) prepare(ctx context.Context) (reason string, err error) {
	for name, body := range warmFiles {
		f := w.host(path.Join(w.src(), name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	for _, d := range []string{"image-out", "ref-out", "ref-cache", "home", "gopath"} {
		if err := os.MkdirAll(w.host(path.Join(w.in, d)), 0o755); err != nil {
			return "", err
		}
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", w.host(w.gocache), w.host(w.cacheCopy())).CombinedOutput(); err != nil {
		return fmt.Sprintf("copying the image's GOCACHE %s: %v\n%s", w.gocache, err, out), nil
	}
	return "", nil
}

// env is the image's Env with GOCACHE=cache and the workspace's GOROOT,
// HOME and GOPATH, offline.
func (w *warmRun) env(cache string) []string {
	e := slices.Clone(w.imgEnv)
	for _, kv := range []string{"GOROOT=" + w.v.goroot, "GOCACHE=" + cache, "HOME=" + path.Join(w.in, "home"),
		"GOPATH=" + path.Join(w.in, "gopath"), "GOTOOLCHAIN=local", "GOPROXY=off"} {
		e = setEnv(e, kv)
	}
	return e
}

// run runs goroot's go command with args in the test module, in sb, and
// returns its combined output.
func (w *warmRun) run(ctx context.Context, sb *sandbox.Sandbox, goroot string, env []string, args ...string) (string, error) {
	cmd := sb.Command(ctx, w.host(w.src()), env, append([]string{filepath.Join(goroot, "bin", "go")}, args...))
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// noStdCompile judges the image's go build -x output (WarmNoStdCompile).
func (w *warmRun) noStdCompile(out string, buildErr error) Probe {
	goCmd := "go build -x -o " + w.imageBin() + " ."
	p := Probe{Name: WarmNoStdCompile, Status: StatusPass}
	std, sawMain := warmcache.CompiledStd(out)
	switch {
	case buildErr != nil:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s: %v\n%s", goCmd, buildErr, tail(out, 40))
	case !sawMain:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s: no compile of package main in the -x output, so the check proves nothing:\n%s", goCmd, tail(out, 40))
	case len(std) > 0:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s with the image's GOCACHE %s compiled %d standard-library packages: %s", goCmd, w.gocache, len(std), strings.Join(std, " "))
	}
	return p
}

// race runs go test -race with the image's cache (WarmRace), or skips it
// when the image has no C compiler.
func (w *warmRun) race(ctx context.Context, rep *Report) {
	if rep.CCompiler == "" {
		rep.Skipped = append(rep.Skipped, Skip{Capability: WarmRace, Reason: "the image has no C compiler"})
		return
	}
	r := Probe{Name: WarmRace, Status: StatusPass}
	out, err := w.run(ctx, w.t.sb, w.t.goroot, w.env(w.cacheCopy()), "test", "-race", "-x", "-count=1", "./racy")
	std, _ := warmcache.CompiledStd(out)
	switch {
	case err != nil:
		r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -race -x ./racy: %v\n%s", err, tail(out, 40))
	case len(std) > 0:
		r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -race -x ./racy with the image's GOCACHE %s compiled %d standard-library packages: %s", w.gocache, len(std), strings.Join(std, " "))
	}
	rep.Probes = append(rep.Probes, r)
	w.v.logf("image: %-4s %s", strings.ToUpper(r.Status), WarmRace)
}

// warmReference builds the same program with the full SDK, mounted at the
// image's GOROOT path (binaries built without -trimpath record GOROOT),
// with an empty cache, and compares it with the image's binary.
func (v *verifier) warmReference(ctx context.Context, rep *Report, b *Probe, w *warmRun) error {
	full, err := v.fullSDK(ctx, rep)
	if err != nil {
		return err
	}
	if rep.Reference == "" {
		rep.Reference = full.Source
	}
	sb := &sandbox.Sandbox{Root: w.t.sb.Root, Binds: map[string]string{v.goroot: full.Dir}}
	refBin := w.host(path.Join(w.in, "ref-out", "hello"))
	env := w.env(path.Join(w.in, "ref-cache"))
	if rep.Mode == ModeEmulated {
		// The host's full SDK cross-compiles for the image's platform;
		// the image's go under emulation found no C compiler there.
		if rep.CCompiler != "" {
			b.Status, b.Reason = StatusNA, "under emulation the reference is the host's SDK cross-compiling, which cannot use the image's C compiler"
			return nil
		}
		goos, goarch, _ := strings.Cut(rep.Target, "/")
		env = setEnv(setEnv(setEnv(env, "GOOS="+goos), "GOARCH="+goarch), "CGO_ENABLED=0")
	}
	out, err := w.run(ctx, sb, full.Dir, env, "build", "-o", refBin, ".")
	if err != nil {
		b.Status, b.Reason = StatusFail, fmt.Sprintf("the full SDK (at %s, empty GOCACHE) fails to build it: go build: %v\n%s", v.goroot, err, tail(out, 40))
		return nil
	}
	imgSum, err := fileSum(w.host(w.imageBin()))
	if err != nil {
		return err
	}
	refSum, err := fileSum(refBin)
	if err != nil {
		return err
	}
	if imgSum != refSum {
		b.Status, b.Reason = StatusFail, fmt.Sprintf("differs from the full SDK:\nhello: image (warm GOCACHE) sha256:%s, full SDK (empty GOCACHE) sha256:%s", imgSum, refSum)
	}
	return nil
}

func fileSum(p string) (string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func getEnv(env []string, k string) string {
	v := ""
	for _, kv := range env {
		if name, val, ok := strings.Cut(kv, "="); ok && name == k {
			v = val
		}
	}
	return v
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, k+"=") })
	return append(env, kv)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
