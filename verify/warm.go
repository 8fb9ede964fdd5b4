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
	variants := strings.Split(label, ",")
	rep.WarmCache = label
	if !rep.Sandboxed || rep.Mode != ModeNative {
		rep.Skipped = append(rep.Skipped, Skip{Capability: "warm-cache", Reason: "the warm cache is checked only sandboxed on the image's own platform, with its own Env"})
		return nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	imgEnv := cf.Config.Env
	gocache := getEnv(imgEnv, "GOCACHE")
	fail := func(reason string) {
		for _, n := range []string{WarmNoStdCompile, WarmBuild} {
			rep.Probes = append(rep.Probes, Probe{Name: n, Status: StatusFail, Reason: reason})
		}
	}
	if !strings.HasPrefix(gocache, "/") {
		fail(fmt.Sprintf("the image has label %s=%s but its Env sets no absolute GOCACHE (%q)", imageconfig.LabelWarmCache, label, gocache))
		return nil
	}

	// Everything at the same paths for both builds: without -trimpath the
	// module's directory is in the binary.
	root := t.sb.Root
	warmIn := "/tmp/gorootimg-verify/warm"
	host := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	src := path.Join(warmIn, "src")
	for name, body := range warmFiles {
		f := host(path.Join(src, name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"image-out", "ref-out", "ref-cache", "home", "gopath"} {
		if err := os.MkdirAll(host(path.Join(warmIn, d)), 0o755); err != nil {
			return err
		}
	}
	// A copy of the image's cache (copy-on-write where the file system
	// can), so the checks read the warm entries and change nothing of the
	// image's.
	cacheCopy := path.Join(warmIn, "image-cache")
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", host(gocache), host(cacheCopy)).CombinedOutput(); err != nil {
		fail(fmt.Sprintf("copying the image's GOCACHE %s: %v\n%s", gocache, err, out))
		return nil
	}
	env := func(cache string) []string {
		e := slices.Clone(imgEnv)
		for _, kv := range []string{"GOROOT=" + v.goroot, "GOCACHE=" + cache, "HOME=" + path.Join(warmIn, "home"),
			"GOPATH=" + path.Join(warmIn, "gopath"), "GOTOOLCHAIN=local", "GOPROXY=off"} {
			e = setEnv(e, kv)
		}
		return e
	}
	run := func(sb *sandbox.Sandbox, goroot string, e []string, args ...string) (string, error) {
		cmd := sb.Command(ctx, host(src), e, append([]string{filepath.Join(goroot, "bin", "go")}, args...))
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		return b.String(), err
	}
	goCmd := "go " + strings.Join([]string{"build", "-x", "-o", path.Join(warmIn, "image-out", "hello"), "."}, " ")

	v.logf("verify: checking the warm cache (%s) with the image's toolchain", label)
	imgOut, imgErr := run(t.sb, t.goroot, env(cacheCopy), "build", "-x", "-o", host(path.Join(warmIn, "image-out", "hello")), ".")
	p := Probe{Name: WarmNoStdCompile, Status: StatusPass}
	std, sawMain := warmcache.CompiledStd(imgOut)
	switch {
	case imgErr != nil:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s: %v\n%s", goCmd, imgErr, tail(imgOut, 40))
	case !sawMain:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s: no compile of package main in the -x output, so the check proves nothing:\n%s", goCmd, tail(imgOut, 40))
	case len(std) > 0:
		p.Status, p.Reason = StatusFail, fmt.Sprintf("%s with the image's GOCACHE %s compiled %d standard-library packages: %s", goCmd, gocache, len(std), strings.Join(std, " "))
	}
	rep.Probes = append(rep.Probes, p)
	v.logf("image: %-4s %s", strings.ToUpper(p.Status), WarmNoStdCompile)

	b := Probe{Name: WarmBuild, Status: StatusPass}
	if imgErr != nil {
		b.Status, b.Reason = StatusFail, "the image's build failed (see "+WarmNoStdCompile+")"
	} else if err := v.warmReference(ctx, rep, &b, t, env(path.Join(warmIn, "ref-cache")), run, host, warmIn); err != nil {
		return err
	}
	rep.Probes = append(rep.Probes, b)
	v.logf("reference: %-4s %s", strings.ToUpper(b.Status), WarmBuild)

	if slices.Contains(variants, "race") {
		if rep.CCompiler == "" {
			rep.Skipped = append(rep.Skipped, Skip{Capability: WarmRace, Reason: "the image has no C compiler"})
			return nil
		}
		r := Probe{Name: WarmRace, Status: StatusPass}
		out, err := run(t.sb, t.goroot, env(cacheCopy), "test", "-race", "-x", "-count=1", "./racy")
		std, _ := warmcache.CompiledStd(out)
		switch {
		case err != nil:
			r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -race -x ./racy: %v\n%s", err, tail(out, 40))
		case len(std) > 0:
			r.Status, r.Reason = StatusFail, fmt.Sprintf("go test -race -x ./racy with the image's GOCACHE %s compiled %d standard-library packages: %s", gocache, len(std), strings.Join(std, " "))
		}
		rep.Probes = append(rep.Probes, r)
		v.logf("image: %-4s %s", strings.ToUpper(r.Status), WarmRace)
	}
	return nil
}

// warmReference builds the same program with the full SDK, mounted at the
// image's GOROOT path (binaries built without -trimpath record GOROOT),
// with an empty cache, and compares it with the image's binary.
func (v *verifier) warmReference(ctx context.Context, rep *Report, b *Probe, t *tree, env []string,
	run func(*sandbox.Sandbox, string, []string, ...string) (string, error), host func(string) string, warmIn string) error {
	full, err := v.fullSDK(ctx, rep)
	if err != nil {
		return err
	}
	if rep.Reference == "" {
		rep.Reference = full.Source
	}
	sb := &sandbox.Sandbox{Root: t.sb.Root, Binds: map[string]string{v.goroot: full.Dir}}
	refBin := host(path.Join(warmIn, "ref-out", "hello"))
	out, err := run(sb, full.Dir, env, "build", "-o", refBin, ".")
	if err != nil {
		b.Status, b.Reason = StatusFail, fmt.Sprintf("the full SDK (at %s, empty GOCACHE) fails to build it: go build: %v\n%s", v.goroot, err, tail(out, 40))
		return nil
	}
	imgSum, err := fileSum(host(path.Join(warmIn, "image-out", "hello")))
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
