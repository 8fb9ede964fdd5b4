package test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// lowerBound is the issue's floor for a tree that builds every program for
// the SDK's platform: bin/go, the compile, link, asm and cgo tools,
// pkg/include, and the files of every std package for the platform with
// cgo off and on, as the SDK's own go command lists them (go list -deps
// std), which knows nothing of our closure code.
func lowerBound(t *testing.T, s *sdk.SDK) int64 {
	t.Helper()
	files := map[string]bool{}
	add := func(rel string) {
		if _, err := os.Stat(filepath.Join(s.Dir, rel)); err != nil {
			t.Fatalf("lower bound: %v", err)
		}
		files[rel] = true
	}
	add("bin/go")
	for _, tool := range []string{"compile", "link", "asm", "cgo"} {
		add(filepath.Join("pkg/tool", s.GOOS+"_"+s.GOARCH, tool))
	}
	incs, _ := filepath.Glob(filepath.Join(s.Dir, "pkg/include/*"))
	for _, f := range incs {
		rel, _ := filepath.Rel(s.Dir, f)
		add(rel)
	}
	for _, cgo := range []string{"0", "1"} {
		cmd := exec.Command(filepath.Join(s.Dir, "bin/go"), "list", "-deps", "-json", "std")
		cmd.Env = append(os.Environ(), "GOROOT="+s.Dir, "GOOS="+s.GOOS, "GOARCH="+s.GOARCH, "CGO_ENABLED="+cgo,
			"GOTOOLCHAIN=local", "GOFLAGS=", "GOCACHE="+t.TempDir(), "GOENV=off")
		cmd.Dir = t.TempDir() // outside this module, whose go.mod wants a newer go
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(out)
		for {
			var p struct {
				Dir                                                                                string
				GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, SFiles, SysoFiles, EmbedFiles []string
			}
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.SFiles, p.SysoFiles, p.EmbedFiles} {
				for _, f := range list {
					rel, err := filepath.Rel(s.Dir, filepath.Join(p.Dir, f))
					if err != nil || strings.HasPrefix(rel, "..") {
						t.Fatalf("package file %s outside GOROOT", f)
					}
					files[filepath.ToSlash(rel)] = true
				}
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("go list std (CGO_ENABLED=%s): %v", cgo, err)
		}
	}
	var n int64
	for f := range files {
		info, err := os.Stat(filepath.Join(s.Dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// TestIssueNumbers checks the issue's size targets for go1.22.12
// linux/amd64: minimal within 10% of the lower bound, and the CI recipe for
// one platform (ci-native; ci itself keeps every platform since issue 11)
// at or below 55% of full.
func TestIssueNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads go1.22.12; skipped with -short")
	}
	opts := sdkOptions(t)
	ctx := context.Background()
	sdks, err := sdk.Resolve(ctx, "1.22.12", []v1.Platform{{OS: "linux", Architecture: "amd64"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := sdks[0]
	target := s.Tree()
	kept := map[string]int64{}
	var full int64
	for _, n := range []string{"full", "ci", "ci-native", "minimal"} {
		r, err := recipes.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		p, err := prune.Resolve(ctx, target, r)
		if err != nil {
			t.Fatal(err)
		}
		kept[n] = p.Kept.Bytes()
		full = p.All.Bytes()
	}
	if s.GOOS != "linux" || s.GOARCH != "amd64" {
		t.Skipf("the lower bound runs the SDK's go command; this machine cannot run a %s/%s one", s.GOOS, s.GOARCH)
	}
	lb := lowerBound(t, s)
	pct := func(n string) float64 { return 100 * float64(kept[n]) / float64(full) }
	t.Logf("go1.22.12 linux/amd64: full %d, ci %d (%.1f%%), ci-native %d (%.1f%%), minimal %d, lower bound %d (minimal/bound %.3f)",
		full, kept["ci"], pct("ci"), kept["ci-native"], pct("ci-native"), kept["minimal"], lb, float64(kept["minimal"])/float64(lb))
	if kept["full"] != full {
		t.Errorf("full keeps %d of %d bytes", kept["full"], full)
	}
	if float64(kept["minimal"]) > 1.10*float64(lb) {
		t.Errorf("minimal keeps %d bytes, more than 110%% of the lower bound %d", kept["minimal"], lb)
	}
	if float64(kept["ci-native"]) > 0.55*float64(full) {
		t.Errorf("ci-native keeps %d bytes, more than 55%% of full (%d)", kept["ci-native"], full)
	}
	// Platform pruning is what ci-native saves over ci: never nothing.
	if kept["ci-native"] >= kept["ci"] {
		t.Errorf("ci-native keeps %d bytes, ci %d; want ci-native smaller", kept["ci-native"], kept["ci"])
	}
}
