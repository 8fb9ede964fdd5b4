package engines

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
	fx "github.com/gorootimg/gorootimg/testkit/fixture"
)

// defaultRelease is the release built unless GOROOTIMG_ENGINES_GO names
// another; build's end-to-end test uses it too, so the SDK cache has it.
const defaultRelease = "1.26.11"

// crossRecipe is the recipe of the image the cross-compiling rows use:
// the default one, which keeps every platform, so the cross rows run in
// the same containers as the rest. (Set it to another recipe to prove
// that one's cross builds in containers of their own.)
const crossRecipe = "ci"

// resolved is the exact release the images hold, once resolveRelease ran.
var resolved string

// release is the release to build ("1.26.11"): GOROOTIMG_ENGINES_GO (a
// line such as "1.22" means its newest patch) resolved to the exact one.
func release() string {
	if resolved != "" {
		return resolved
	}
	if r := os.Getenv("GOROOTIMG_ENGINES_GO"); r != "" {
		return strings.TrimPrefix(r, "go")
	}
	return defaultRelease
}

// resolveRelease asks gorootimg which exact release release() names (and
// fetches its SDK into the cache).
func resolveRelease(t *testing.T, bin string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	r, err := enginetest.Exec(exec.CommandContext(ctx, bin, "sdk", "--go", release(), "--platform", "linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	v, _, _ := strings.Cut(strings.TrimSpace(r.Stdout), " ")
	if !strings.HasPrefix(v, "go1.") {
		t.Fatalf("gorootimg sdk --go %s printed %q, want a release first", release(), r.Stdout)
	}
	resolved = strings.TrimPrefix(v, "go")
}

// Row is one line of docs/engines.md's table.
type Row struct {
	Engine   string  `json:"engine"`
	Scenario string  `json:"scenario"`
	Release  string  `json:"release"`
	Result   string  `json:"result"` // pass, fail or skip
	Seconds  float64 `json:"seconds"`
	Note     string  `json:"note,omitempty"`
}

var rowsMu sync.Mutex

// record logs a row and, when GOROOTIMG_ENGINES_ROWS names a file (as
// hack/engines.sh does), appends it there as a JSON line.
func record(t *testing.T, r Row) {
	t.Helper()
	r.Release = "go" + release()
	r.Seconds = float64(int(r.Seconds*10)) / 10
	b, _ := json.Marshal(r)
	t.Logf("ROW %s", b)
	f := os.Getenv("GOROOTIMG_ENGINES_ROWS")
	if f == "" {
		return
	}
	rowsMu.Lock()
	defer rowsMu.Unlock()
	fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("recording row: %v", err)
		return
	}
	defer fh.Close()
	fh.Write(append(b, '\n'))
}

// check runs fn as one row: its error fails the test and the row.
func check(t *testing.T, engine, scenario string, fn func() (note string, err error)) {
	t.Helper()
	start := time.Now()
	note, err := fn()
	r := Row{Engine: engine, Scenario: scenario, Result: "pass", Seconds: time.Since(start).Seconds(), Note: note}
	if err != nil {
		r.Result = "fail"
		t.Errorf("%s: %s: %v", engine, scenario, err)
	}
	record(t, r)
}

// gorootimg is the command, linked once per source hash for every
// package (fx.Binary).
func gorootimg(t *testing.T) string {
	t.Helper()
	return fx.Binary(t)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// buildImage runs gorootimg build with args and returns its stdout.
func buildImage(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	r, err := enginetest.Exec(exec.CommandContext(ctx, bin, append([]string{"build", "-q", "--go", release()}, args...)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gorootimg build %s: %s in %v", strings.Join(args, " "), strings.TrimSpace(r.Stdout), r.Took.Round(time.Second))
	return strings.TrimSpace(r.Stdout)
}

// debianBase returns an OCI layout of Dockerfile.base FROM a debootstrap
// minbase of the host's Debian release: the suite's one build of it from
// the fixture store (fx.BaseImage), made here with buildah (the minbase
// pushed to reg for buildah to pull) unless cmd/gorootimg's BuildKit
// end-to-end test made it first.
func debianBase(t *testing.T, st *enginetest.Store, reg string) string {
	t.Helper()
	tarFile, _ := buildkittest.MinbaseTar(t)
	return fx.BaseImage(t, tarFile, func(dir string) error {
		minbase := pushTar(t, tarFile, reg+"/minbase:test")
		ctx := context.Background()
		args := append(enginetest.BudArgs(), "--tls-verify=false", "--build-arg", "BASE="+minbase,
			"-f", filepath.Join(repoRoot(t), "Dockerfile.base"), "-t", "go-base:test", t.TempDir())
		if _, err := enginetest.Exec(st.Buildah(ctx, args...)); err != nil {
			return err
		}
		_, err := enginetest.Exec(st.Buildah(ctx, "push", "go-base:test", "oci:"+dir))
		return err
	})
}

// pushTar pushes a root file system tar as a linux/amd64 image and returns
// its reference pinned by digest.
func pushTar(t *testing.T, tarFile, ref string) string {
	t.Helper()
	l, err := tarball.LayerFromFile(tarFile)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.Context().Digest(d.String()).String()
}
