package diff

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/publish"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// testRelease is the real release the end-to-end tests use; the SDK cache
// is shared with the rest of the test suite.
const testRelease = "1.26"

// releaseSDK resolves a real Go release through the module proxy the go
// command is configured with, skipping when that proxy is unreachable.
func releaseSDK(t *testing.T, spec string) (*sdk.SDK, sdk.Options) {
	t.Helper()
	return sdktest.Release(t, spec, v1.Platform{})
}

func buildImage(t *testing.T, s *sdk.SDK, recipe string) *assemble.Result {
	t.Helper()
	r, err := recipes.Lookup(recipe)
	if err != nil {
		t.Fatal(err)
	}
	res, err := assemble.Assemble(context.Background(), assemble.Options{SDKs: []*sdk.SDK{s}, CacheDir: fixture.LayerCache(t), Resolved: imagespec.Resolved{Recipe: r}})
	if err != nil {
		t.Fatalf("building %s image: %v", recipe, err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// TestFullVersusMinimal compares the full and minimal images of a real
// release: the categories add up to the totals, no byte is shadowed, and
// the files removed are exactly those the minimal plan drops.
func TestFullVersusMinimal(t *testing.T) {
	ctx := context.Background()
	s, _ := releaseSDK(t, testRelease)
	full := buildImage(t, s, "full")
	minimal := buildImage(t, s, "minimal")
	a, b := NewSide("full"), NewSide("minimal")
	a.AddImage(full.Images[0].Platform, full.Images[0].Image)
	b.AddImage(minimal.Images[0].Platform, minimal.Images[0].Image)
	r, err := Compare(ctx, a, b, WithFiles(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	p := r.Platforms[0]
	for _, side := range []struct {
		name string
		tot  Totals
		cat  func(Category) (int, int64)
	}{
		{"full", p.A, func(c Category) (int, int64) { return c.AFiles, c.ABytes }},
		{"minimal", p.B, func(c Category) (int, int64) { return c.BFiles, c.BBytes }},
	} {
		var files int
		var bytes int64
		for _, c := range p.Categories {
			f, b := side.cat(c)
			files += f
			bytes += b
		}
		if files != side.tot.Files || bytes != side.tot.FileBytes {
			t.Errorf("%s: categories sum to %d files, %d bytes; totals say %d files, %d bytes", side.name, files, bytes, side.tot.Files, side.tot.FileBytes)
		}
		if side.tot.ShadowedBytes != 0 || bytes != side.tot.LayerFileBytes {
			t.Errorf("%s: categories hold %d bytes, layers %d (%d shadowed); want equal, none shadowed", side.name, bytes, side.tot.LayerFileBytes, side.tot.ShadowedBytes)
		}
		var layerBytes, layerCompressed int64
		for _, l := range p.Layers {
			if l.Side == "both" || (l.Side == "A") == (side.name == "full") {
				layerBytes += l.FileBytes
				layerCompressed += l.Compressed
			}
		}
		if layerBytes != bytes || layerCompressed != side.tot.Compressed {
			t.Errorf("%s: layer rows hold %d file bytes, %d compressed; totals %d, %d", side.name, layerBytes, layerCompressed, bytes, side.tot.Compressed)
		}
	}
	if p.B.Compressed >= p.A.Compressed {
		t.Errorf("minimal (%d bytes) is not smaller than full (%d bytes)", p.B.Compressed, p.A.Compressed)
	}

	// What the plan drops, as image paths.
	rec, _ := recipes.Lookup("minimal")
	plan, err := prune.Resolve(ctx, s.Tree(), rec)
	if err != nil {
		t.Fatal(err)
	}
	dropped := map[string]bool{}
	for _, f := range plan.Dropped {
		if !f.IsDir() {
			dropped["/usr/local/go/"+f.Name] = true
		}
	}
	if len(p.Files) != p.Added.Files+p.Removed.Files+p.Changed.Files {
		t.Fatalf("listed %d files of %d changes", len(p.Files), p.Added.Files+p.Removed.Files+p.Changed.Files)
	}
	removed := map[string]bool{}
	for _, f := range p.Files {
		switch f.Change {
		case "removed":
			removed[f.Path] = true
			if !dropped[f.Path] {
				t.Errorf("diff says %s was removed; the plan keeps it", f.Path)
			}
		case "added":
			t.Errorf("diff says %s was added to minimal", f.Path)
		case "changed":
			// minimal strips binaries: only bin/ and pkg/tool/ may change.
			if f.Category != "bin" && f.Category != "pkg/tool" {
				t.Errorf("diff says %s (%s) changed; only stripped binaries may", f.Path, f.Category)
			}
		}
	}
	for name := range dropped {
		if !removed[name] {
			t.Errorf("the plan drops %s; diff does not list it as removed", name)
		}
	}
	if len(removed) != len(dropped) || len(removed) == 0 {
		t.Errorf("diff removed %d files, plan dropped %d", len(removed), len(dropped))
	}
}

// TestRealRegistryVersusLayout pushes an image to the real registry,
// writes it to an OCI layout, and diffs the two through LoadSide: no change.
func TestRealRegistryVersusLayout(t *testing.T) {
	ctx := context.Background()
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	s, _ := releaseSDK(t, testRelease)
	res := buildImage(t, s, "ci")
	ref := reg.Host + "/go:ci"
	pub, err := publish.NewRegistry(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, res); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	lay, err := publish.NewLayout(dir, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if err := lay.Publish(ctx, res); err != nil {
		t.Fatal(err)
	}
	a, err := LoadSide(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadSide(ctx, "oci:"+dir+":ci")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compare(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Platforms) != 1 {
		t.Fatalf("compared %d platforms, want 1", len(r.Platforms))
	}
	assertZero(t, r)
	var out bytes.Buffer
	r.WriteTable(&out)
	if !strings.Contains(out.String(), "added 0 files (0 B), removed 0 files (0 B), changed 0 files") {
		t.Errorf("table does not say nothing changed:\n%s", out.String())
	}
}

// TestSDKSide compares the full SDK as a tree (sdk:DIR?recipe=full) with
// the full image: the GOROOT files are the same, so nothing is added,
// removed or changed, and the tree's compressed size is unknown.
func TestSDKSide(t *testing.T) {
	ctx := context.Background()
	s, o := releaseSDK(t, testRelease)
	res := buildImage(t, s, "full")
	img := NewSide("full image")
	img.AddImage(res.Images[0].Platform, res.Images[0].Image)
	tree, err := LoadSide(ctx, "sdk:"+s.Dir+"?recipe=full", WithSDKOptions(o), WithWorkDir(t.TempDir()), WithFallbackPlatforms(SDKPlatforms(img.Platforms())...))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compare(ctx, tree, img)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Platforms[0]
	// The image also has the file system layer (rootfs): files outside
	// GOROOT that the tree cannot have. Inside GOROOT nothing differs.
	var outside int64
	for _, f := range p.Files {
		if f.Category != string(goroot.CatOutside) || f.Change != "added" {
			t.Errorf("sdk tree vs full image: %s %s (%s); want no change inside GOROOT", f.Change, f.Path, f.Category)
			continue
		}
		outside += f.BSize
	}
	if p.Removed.Files+p.Changed.Files != 0 || p.Added.Files == 0 {
		t.Errorf("sdk tree vs full image: added %d, removed %d, changed %d; want only the file system layer's files added", p.Added.Files, p.Removed.Files, p.Changed.Files)
	}
	if p.A.Compressed != -1 || p.A.FileBytes+outside != p.B.FileBytes {
		t.Errorf("tree totals %+v, image totals %+v, outside GOROOT %d; want unknown compressed size and equal GOROOT file bytes", p.A, p.B, outside)
	}
}
