package hostile

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/faultproxy"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// leftovers lists the files in the cache's temporary directories.
func leftovers(cache string) []string {
	var out []string
	for _, d := range []string{"tmp", "build/tmp"} {
		filepath.WalkDir(filepath.Join(cache, d), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// verifyCache re-hashes every blob of the build cache against its name,
// parses every JSON record, and compares every SDK tree with the tree a
// run alone put in the reference cache ref. It returns the problems.
func verifyCache(cache, ref string) []string {
	var problems []string
	blobs := filepath.Join(cache, "build", "blobs", "sha256")
	es, _ := os.ReadDir(blobs)
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(blobs, e.Name()))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != e.Name() {
			problems = append(problems, fmt.Sprintf("blob %s holds content hashing to %s", e.Name(), got))
		}
	}
	for _, d := range []string{"layers", "platforms"} {
		js, _ := filepath.Glob(filepath.Join(cache, "build", d, "*.json"))
		for _, j := range js {
			b, err := os.ReadFile(j)
			var v any
			if err == nil {
				err = json.Unmarshal(b, &v)
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", j, err))
			}
		}
	}
	trees, _ := os.ReadDir(filepath.Join(cache, "sdk"))
	for _, tr := range trees {
		want := treeHash(filepath.Join(ref, "sdk", tr.Name()))
		if got := treeHash(filepath.Join(cache, "sdk", tr.Name())); got != want {
			problems = append(problems, fmt.Sprintf("SDK tree %s differs from one unpacked alone", tr.Name()))
		}
	}
	return append(problems, leftovers(cache)...)
}

// treeHash hashes a directory tree: names, modes, contents, link targets.
func treeHash(dir string) string {
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(h, "error %v\n", err)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, _ := d.Info()
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode())
		switch {
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			h.Write(b)
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintln(h, l)
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

// checkLayout validates every image the layout's index.json lists
// (reading and re-hashing every blob) and returns the tags it has.
func checkLayout(dir string) ([]string, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	if err := validate.Index(ii); err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, d := range im.Manifests {
		tags = append(tags, d.Annotations["org.opencontainers.image.ref.name"])
	}
	return tags, nil
}

// TestConcurrentBuilds runs two gorootimg builds at once sharing one cache
// and one OCI layout directory, with the same inputs and with different
// ones. Each must succeed or fail with a clear error; afterwards the
// layout must be valid and hold the tag of every build that succeeded, and
// the cache must re-hash clean and match what a build alone produces.
func TestConcurrentBuilds(t *testing.T) {
	work := t.TempDir()
	a := fakeRelease(t, work, 21, 8<<20)
	b := fakeRelease(t, work, 22, 8<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// The reference: each archive built alone in its own cache.
	ref := filepath.Join(work, "ref-cache")
	for _, arch := range []string{a, b} {
		r := gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + ref}, nil, "build", "-q", "--go", arch, "--platform", "linux/amd64", "--recipe", "full", "--oci-layout", filepath.Join(work, "ref-out"))
		if r.code != 0 {
			t.Fatalf("reference build: %v", r)
		}
	}

	for _, tc := range []struct {
		name     string
		archives [2]string
		tags     [2]string
		existing bool // the layout exists before (both builds update it)
	}{
		{"same inputs, same tag", [2]string{a, a}, [2]string{"v1", "v1"}, false},
		{"same inputs, different tags", [2]string{a, a}, [2]string{"x", "y"}, false},
		{"different inputs, different tags", [2]string{a, b}, [2]string{"a", "b"}, false},
		{"different inputs, different tags, existing layout", [2]string{a, b}, [2]string{"a", "b"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const rounds = 3
			var outcomes []string
			for round := range rounds {
				dir := t.TempDir()
				cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
				if tc.existing {
					if cp := exec.Command("cp", "-a", filepath.Join(work, "ref-out"), out); cp.Run() != nil {
						t.Fatal("copying the reference layout failed")
					}
				}
				var wg sync.WaitGroup
				var runs [2]run
				for i := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						runs[i] = gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + cache}, nil, "build", "-q", "--go", tc.archives[i],
							"--platform", "linux/amd64", "--recipe", "full", "--oci-layout", out, "-t", "gorootimg/go:"+tc.tags[i])
					}()
				}
				wg.Wait()
				ok := 0
				for i, r := range runs {
					switch {
					case r.code == 0:
						ok++
					case r.code == 1 && strings.Contains(r.stderr, "gorootimg build:"):
						t.Logf("round %d: build %d failed clearly: %s", round, i, lastLine(r.stderr))
					default:
						t.Errorf("round %d: build %d: %v; want success or a clear error", round, i, r)
					}
					if len(r.tmpLeft) > 0 {
						t.Errorf("round %d: build %d left temporary files: %v", round, i, r.tmpLeft)
					}
				}
				if ok == 0 {
					t.Errorf("round %d: both builds failed: %v\n%v", round, runs[0], runs[1])
				}
				tags, err := checkLayout(out)
				if err != nil {
					t.Errorf("round %d: the shared layout is invalid: %v", round, err)
				}
				for i, r := range runs {
					if r.code == 0 && !contains(tags, "gorootimg/go:"+tc.tags[i]) && !contains(tags, tc.tags[i]) {
						t.Errorf("round %d: build %d succeeded but its tag %q is not in the layout (tags %q): a lost update", round, i, tc.tags[i], tags)
					}
				}
				if problems := verifyCache(cache, ref); len(problems) > 0 {
					t.Errorf("round %d: the shared cache is damaged: %v", round, problems)
				}
				outcomes = append(outcomes, fmt.Sprintf("%d/2 ok", ok))
			}
			t.Logf("ROW\ttwo builds at once, %s (%d rounds)\t%s\tlayout valid with every tag; cache re-hashed clean", tc.name, rounds, strings.Join(outcomes, ", "))
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestInterrupt sends SIGINT to a build in the middle of a push (the
// registry stalls the upload) and checks that it stops promptly, leaves
// the tag alone, and leaves no temporary files in TMPDIR or the cache.
func TestInterrupt(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	p := faultproxy.Start(t, "http://"+reg.Host)
	work := t.TempDir()
	cache := filepath.Join(work, "cache")
	archive := fakeRelease(t, work, 31, 4<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := p.SetRules(faultproxy.Rule{Name: "stall", Method: "PATCH", Path: pathUpload, Fault: faultproxy.StallFor(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	var sent time.Time
	r := gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + cache}, func(proc *os.Process) {
		for deadline := time.Now().Add(2 * time.Minute); p.Hits("stall") == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		sent = time.Now()
		proc.Signal(syscall.SIGINT)
	}, "build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "-t", p.Host()+"/sigint/x:v1", "--push", "--oci-layout", out)
	took := time.Since(sent)
	if p.Hits("stall") == 0 {
		t.Fatalf("the push never reached the stalled upload: %v", r)
	}
	if r.code == 0 {
		t.Errorf("interrupted build exited 0: %v", r)
	}
	direct := &registryClient{base: "http://" + reg.Host}
	if got, _ := direct.tagState("sigint/x", "v1"); got != "" {
		t.Errorf("an interrupted push created the tag (%s)", got)
	}
	if len(r.tmpLeft) > 0 {
		t.Errorf("interrupted build left files in TMPDIR: %v", r.tmpLeft)
	}
	if l := leftovers(cache); len(l) > 0 {
		t.Errorf("interrupted build left files in the cache's temporary directories: %v", l)
	}
	if problems := verifyCache(cache, cache); len(problems) > 0 {
		t.Errorf("interrupted build damaged the cache: %v", problems)
	}
	if _, err := os.Stat(out); err == nil {
		if _, err := checkLayout(out); err != nil {
			t.Errorf("interrupted build left an invalid layout: %v", err)
		}
	}
	t.Logf("ROW\tSIGINT during a stalled push (--push and --oci-layout)\texit %d %.1fs after the signal: %s\ttag untouched; no temporaries in TMPDIR or the cache", r.code, took.Seconds(), truncate(lastLine(r.stderr), 100))
}

// TestInterruptWhileWriting sends SIGINT while the SDK is being unpacked
// into the cache, and while layers are being written (a file has appeared
// in the cache's temporary directory), and checks that the build stops,
// leaves no temporary files and no half-written layout or cache entry.
func TestInterruptWhileWriting(t *testing.T) {
	for _, phase := range []struct{ name, tmp string }{
		{"unpacking the SDK", "tmp"},
		{"writing the layers", "build/tmp"},
	} {
		t.Run(phase.name, func(t *testing.T) {
			work := t.TempDir()
			cache, out := filepath.Join(work, "cache"), filepath.Join(work, "out")
			archive := fakeRelease(t, work, 41, 48<<20)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if phase.tmp == "build/tmp" {
				// The SDK is in the cache already: the build goes straight to layers.
				if _, err := sdk.Resolve(ctx, archive, []v1.Platform{{OS: GOOS, Architecture: GOARCH}}, sdk.Options{CacheDir: cache}); err != nil {
					t.Fatal(err)
				}
			}
			sawTemp := false
			r := gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + cache}, func(proc *os.Process) {
				for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
					if l := leftovers(cache); len(l) > 0 && strings.HasPrefix(l[0], filepath.Join(cache, phase.tmp)+"/") {
						sawTemp = true
						break
					}
				}
				proc.Signal(syscall.SIGINT)
			}, "build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "--oci-layout", out)
			if !sawTemp {
				t.Skipf("no temporary file appeared in %s before the build ended (%v); nothing to interrupt", phase.tmp, r)
			}
			if l := leftovers(cache); len(l) > 0 || len(r.tmpLeft) > 0 {
				t.Errorf("interrupted build left temporary files: %v %v", l, r.tmpLeft)
			}
			if _, err := os.Stat(out); err == nil {
				if _, err := checkLayout(out); err != nil {
					t.Errorf("interrupted build left an invalid layout: %v", err)
				}
			}
			if problems := verifyCache(cache, cache); len(problems) > 0 {
				t.Errorf("interrupted build damaged the cache: %v", problems)
			}
			outcome := fmt.Sprintf("exit %d: %s", r.code, truncate(lastLine(r.stderr), 100))
			if r.code == 0 {
				outcome = "finished before the signal took effect (exit 0)"
			}
			t.Logf("ROW\tSIGINT while %s (48 MiB SDK)\t%s\tno temporaries; layout absent or valid; cache re-hashed clean", phase.name, outcome)
		})
	}
}

// TestKillThenRebuild kills a build (SIGKILL: no chance to clean up) while
// it writes layers into the cache, then builds again with the same cache:
// the second build must succeed with the digest a clean build gives, and
// the cache must re-hash clean (a killed run may leave its temporary
// directory behind, nothing else).
func TestKillThenRebuild(t *testing.T) {
	work := t.TempDir()
	cache := filepath.Join(work, "cache")
	archive := fakeRelease(t, work, 51, 48<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := sdk.Resolve(ctx, archive, []v1.Platform{{OS: GOOS, Architecture: GOARCH}}, sdk.Options{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "--oci-layout", out}
	}
	want := layoutDigest(t, []string{"GOROOTIMG_CACHE=" + filepath.Join(work, "ref-cache")}, archive)
	killed := false
	r := gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + cache}, func(proc *os.Process) {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if l := leftovers(cache); len(l) > 0 && strings.Contains(l[0], "/build/tmp/") {
				killed = proc.Kill() == nil
				return
			}
		}
	}, args(filepath.Join(work, "out1"))...)
	if !killed {
		t.Skipf("the build wrote no temporary layer file before it ended (%v); nothing to kill", r)
	}
	r = gorootimgRun(t, ctx, []string{"GOROOTIMG_CACHE=" + cache}, nil, args(filepath.Join(work, "out2"))...)
	if r.code != 0 {
		t.Fatalf("rebuild after a killed build: %v", r)
	}
	if got := strings.TrimSpace(r.stdout); got != want {
		t.Errorf("rebuild after a killed build = %s, want %s (a clean build's digest)", got, want)
	}
	var problems []string
	for _, p := range verifyCache(cache, cache) {
		if !strings.Contains(p, "/tmp/") {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		t.Errorf("the cache is damaged after a killed build: %v", problems)
	}
	if _, err := checkLayout(filepath.Join(work, "out2")); err != nil {
		t.Errorf("rebuild wrote an invalid layout: %v", err)
	}
	left := len(leftovers(cache))
	t.Logf("ROW\tSIGKILL while writing layers, then the same build again\trebuild exit 0 with the clean build's digest\tcache re-hashed clean; %d temporary files of the killed run left in the cache's tmp/", left)
}
