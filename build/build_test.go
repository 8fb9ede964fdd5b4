package build

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/sdk"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json (hack/golden.sh)")

func fakeSDKs(t *testing.T, arches ...string) []*sdk.SDK {
	t.Helper()
	var out []*sdk.SDK
	for _, a := range arches {
		s, err := sdk.Open(filepath.Join("testdata", "sdk-linux-"+a))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// digests lists every digest of an index: the index, and per platform the
// manifest, the config and the layers.
type digests struct {
	Index     string              `json:"index"`
	Platforms map[string]platDigs `json:"platforms"`
}

type platDigs struct {
	Manifest string   `json:"manifest"`
	Config   string   `json:"config"`
	Layers   []string `json:"layers"`
}

func digestsOf(t *testing.T, idx v1.ImageIndex) digests {
	t.Helper()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	out := digests{Index: d.String(), Platforms: map[string]platDigs{}}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		man, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		pd := platDigs{Manifest: m.Digest.String(), Config: man.Config.Digest.String()}
		for _, l := range man.Layers {
			pd.Layers = append(pd.Layers, l.Digest.String())
		}
		out.Platforms[m.Platform.OS+"/"+m.Platform.Architecture] = pd
	}
	return out
}

// TestGolden builds the fake SDKs into an OCI layout and compares every
// digest with testdata/golden.json. A change here changes every user's
// image digests: regenerate with hack/golden.sh only on purpose.
func TestGolden(t *testing.T) {
	for _, c := range []layers.Compression{layers.Gzip, layers.Zstd} {
		t.Run(string(c), func(t *testing.T) {
			res, err := Build(context.Background(), Options{SDKs: fakeSDKs(t, "amd64", "arm64"), Compression: c})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			dir := filepath.Join(t.TempDir(), "out")
			if err := WriteLayout(context.Background(), dir, "", res.Index, LayoutOptions{}); err != nil {
				t.Fatal(err)
			}
			idx, err := layout.ImageIndexFromPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			im, _ := idx.IndexManifest()
			if len(im.Manifests) != 1 {
				t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
			}
			inner, err := idx.ImageIndex(im.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			if c == layers.Gzip { // validate reads gzip layers only
				if err := validate.Index(inner); err != nil {
					t.Errorf("validate.Index: %v", err)
				}
			}
			got := digestsOf(t, inner)
			if want := digestsOf(t, res.Index); got.Index != want.Index {
				t.Errorf("layout index = %s, built %s", got.Index, want.Index)
			}
			golden := filepath.Join("testdata", "golden-"+string(c)+".json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "\t")
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run hack/golden.sh)", err)
			}
			var want digests
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.MarshalIndent(got, "", "\t")
			wj, _ := json.MarshalIndent(want, "", "\t")
			if string(gj) != string(wj) {
				t.Errorf("digests of the fake SDK build =\n%s\nwant (testdata/%s)\n%s", gj, filepath.Base(golden), wj)
			}
			// The file system layer and the std sources are the same on both
			// platforms: shared blobs.
			a, r := got.Platforms["linux/amd64"].Layers, got.Platforms["linux/arm64"].Layers
			if len(a) != 6 || len(r) != 6 {
				t.Fatalf("layers = %d and %d, want 6 each (rootfs, toolchain, std, cmd, tests, rest)", len(a), len(r))
			}
			if a[0] != r[0] || a[1] == r[1] || a[2] != r[2] {
				t.Errorf("rootfs layers %s %s should match, toolchain layers %s %s differ and std layers %s %s match", a[0], r[0], a[1], r[1], a[2], r[2])
			}
		})
	}
}

func TestConfigAndReport(t *testing.T) {
	mtime := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	res, err := Build(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), MTime: mtime, Source: "https://example.com/repo", GOROOT: "/opt/go"})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	img := res.Images[0].Image
	if err := validate.Image(img); err != nil {
		t.Errorf("validate.Image: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Join(cf.Config.Env, " ")
	for _, want := range []string{"PATH=/go/bin:/opt/go/bin:/usr/local/sbin:", "GOROOT=/opt/go", "GOPATH=/go", "GOTOOLCHAIN=local"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env = %q, want it to contain %q", env, want)
		}
	}
	for k, want := range map[string]string{
		LabelOCIVersion: "1.99.0", LabelOCICreated: "2024-02-03T04:05:06Z", LabelOCISource: "https://example.com/repo",
		LabelGoVersion: "go1.99.0", LabelRecipe: "full", LabelGOROOT: "/opt/go",
	} {
		if got := cf.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := cf.Config.Labels[LabelOCIBaseName]; ok {
		t.Errorf("scratch image has label %s", LabelOCIBaseName)
	}
	if !cf.Created.Time.Equal(mtime) || cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("config created/os/arch = %v %s/%s, want %v linux/amd64", cf.Created, cf.OS, cf.Architecture, mtime)
	}
	if len(cf.History) != 6 || cf.History[0].Comment != "rootfs" || !strings.Contains(cf.History[1].CreatedBy, "toolchain binaries") {
		t.Errorf("history = %+v, want 6 entries: the file system layer, then the toolchain", cf.History)
	}
	if !strings.Contains(env, "GOCACHE="+rootfs.GOCACHE) || cf.Config.WorkingDir != rootfs.WorkingDir {
		t.Errorf("Env = %q, WorkingDir = %q; want GOCACHE=%s and %s", env, cf.Config.WorkingDir, rootfs.GOCACHE, rootfs.WorkingDir)
	}
	if GOPATH != rootfs.GOPATH {
		t.Errorf("build.GOPATH = %q, rootfs.GOPATH = %q: the config's GOPATH must be the one the layer makes", GOPATH, rootfs.GOPATH)
	}
	// The full recipe saves nothing; its layers are the full SDK's.
	p := res.Report.Platforms[0]
	if p.Total != p.FullTotal || p.SavedPercent != 0 || p.Total.Files != 17 {
		t.Errorf("report totals = %+v vs full %+v (saved %v%%), want equal with 17 files", p.Total, p.FullTotal, p.SavedPercent)
	}
}

func TestCache(t *testing.T) {
	cache := t.TempDir()
	o := Options{SDKs: fakeSDKs(t, "amd64"), CacheDir: cache}
	first, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	if first.Reused {
		t.Error("first build into an empty cache says it reused everything")
	}
	second, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if !second.Reused {
		t.Error("second build with the same inputs did not reuse the cache")
	}
	a, b := digestsOf(t, first.Index), digestsOf(t, second.Index)
	if a.Index != b.Index {
		t.Errorf("cached rebuild index = %s, want %s", b.Index, a.Index)
	}
	// A removed blob is a miss, not a broken image.
	blobs, _ := filepath.Glob(filepath.Join(cache, "blobs", "sha256", "*"))
	if len(blobs) == 0 {
		t.Fatal("no blobs in the cache")
	}
	for _, b := range blobs {
		os.Remove(b)
	}
	third, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if third.Reused {
		t.Error("build after the blobs were removed says it reused the cache")
	}
	if err := validate.Index(third.Index); err != nil {
		t.Errorf("validate.Index after cache loss: %v", err)
	}
	// Other options are other keys.
	o.Compression = layers.Zstd
	fourth, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer fourth.Close()
	if fourth.Reused {
		t.Error("zstd build reused the gzip build's layers")
	}
}

func TestLayerPlan(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", DefaultLayerPlan, ""},
		{"toolchain", "toolchain,rest", ""},
		{"rest", "rest", ""},
		{"std,toolchain", "std,toolchain,rest", ""},
		{"toolchain,bogus", "", "unknown group"},
		{"std,std", "", "twice"},
		{"rest,std", "", "last"},
	} {
		p, err := ParseLayerPlan(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLayerPlan(%q) = %v, want error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("ParseLayerPlan(%q) = %v, %v, want %s", tc.in, p, err, tc.want)
		}
	}
}

// TestRecipeSharesLayers builds the fake SDK with the full SDK and with a
// recipe that drops tests and docs: the layers the recipe leaves alone are
// the same blobs, and the report counts what it saved.
func TestRecipeSharesLayers(t *testing.T) {
	r, err := recipes.Lookup(filepath.Join("testdata", "notests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := Build(context.Background(), Options{SDKs: fakeSDKs(t, "amd64")})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	slim, err := Build(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), Recipe: r})
	if err != nil {
		t.Fatal(err)
	}
	defer slim.Close()
	byGroup := func(ls []LayerReport) map[string]string {
		m := map[string]string{}
		for _, l := range ls {
			m[l.Group] = l.Digest
		}
		return m
	}
	f, s := byGroup(full.Report.Platforms[0].Layers), byGroup(slim.Report.Platforms[0].Layers)
	for _, g := range []string{"toolchain", "std", "cmd"} {
		if f[g] == "" || f[g] != s[g] {
			t.Errorf("%s layer: full %q, recipe %q; want the same blob", g, f[g], s[g])
		}
	}
	if _, ok := s["tests"]; ok {
		t.Errorf("recipe without tests has a tests layer")
	}
	if f["rest"] == s["rest"] {
		t.Errorf("rest layer is the same with and without docs")
	}
	p := slim.Report.Platforms[0]
	if p.FullTotal != full.Report.Platforms[0].Total || p.Total.Files >= p.FullTotal.Files || p.SavedPercent <= 0 {
		t.Errorf("report: total %+v, full %+v, saved %v%%; want the full SDK's figures and a saving", p.Total, p.FullTotal, p.SavedPercent)
	}
	cf, _ := slim.Images[0].Image.ConfigFile()
	if cf.Config.Labels[LabelRecipeDigest] != r.Digest() || r.Digest() == "" {
		t.Errorf("recipe digest label = %q, want %q", cf.Config.Labels[LabelRecipeDigest], r.Digest())
	}
}

// TestStaleRunsRemoved checks that a run killed long ago (its temporary
// directory left in the cache) is cleaned up by the next build, while a
// recent one (maybe still running) is left alone.
func TestStaleRunsRemoved(t *testing.T) {
	cache := t.TempDir()
	old, recent := filepath.Join(cache, "tmp", "run-killed"), filepath.Join(cache, "tmp", "run-busy")
	for _, d := range []string{old, recent} {
		if err := os.MkdirAll(filepath.Join(d, "layer-partial"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	res, err := Build(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	if _, err := os.Stat(old); err == nil {
		t.Errorf("stale run directory %s was not removed", old)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("recent run directory %s was removed: %v", recent, err)
	}
}
