package assemble

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/sbom"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/imagetest"
)

func fakeSDKs(t *testing.T, arches ...string) []*sdk.SDK {
	t.Helper()
	return imagetest.FakeSDKs(t, "testdata", arches...)
}

func digestsOf(t *testing.T, idx v1.ImageIndex) imagetest.Digests {
	t.Helper()
	return imagetest.DigestsOf(t, idx)
}

func TestConfigAndReport(t *testing.T) {
	mtime := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
	res, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), MTime: mtime, Resolved: imagespec.Resolved{Source: "https://example.com/repo", GOROOT: "/opt/go"}})
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
		imageconfig.LabelOCIVersion: "1.99.0", imageconfig.LabelOCICreated: "2024-02-03T04:05:06Z", imageconfig.LabelOCISource: "https://example.com/repo",
		imageconfig.LabelGoVersion: "go1.99.0", imageconfig.LabelRecipe: "full", imageconfig.LabelGOROOT: "/opt/go",
	} {
		if got := cf.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := cf.Config.Labels[imageconfig.LabelOCIBaseName]; ok {
		t.Errorf("scratch image has label %s", imageconfig.LabelOCIBaseName)
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
	if imageconfig.GOPATH != rootfs.GOPATH {
		t.Errorf("imageconfig.GOPATH = %q, rootfs.GOPATH = %q: the config's GOPATH must be the one the layer makes", imageconfig.GOPATH, rootfs.GOPATH)
	}
	// The full recipe saves nothing; its layers are the full SDK's.
	p := res.Report.Platforms[0]
	if p.Total != p.FullTotal || p.SavedPercent != 0 || p.Total.Files != 17 {
		t.Errorf("report totals = %+v vs full %+v (saved %v%%), want equal with 17 files", p.Total, p.FullTotal, p.SavedPercent)
	}
	// The file system layer has its own line: on scratch the CA bundle,
	// /etc/passwd and /etc/group.
	ls, err := res.Images[0].Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if fs := p.FileSystem; fs == nil || fs.Group != rootfsGroup || fs.Digest != d.String() || fs.Files != 3 || fs.Compressed <= 0 {
		t.Fatalf("report's file system layer = %+v, want %s with 3 files", fs, d)
	}
	var b strings.Builder
	if err := res.Report.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nfile system layer: 3 files, ") {
		t.Errorf("WriteText = %q, want a line \"file system layer: 3 files, ...\"", b.String())
	}
}

func TestCache(t *testing.T) {
	cache := t.TempDir()
	o := Options{SDKs: fakeSDKs(t, "amd64"), CacheDir: cache}
	first, err := Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	if first.Reused {
		t.Error("first build into an empty cache says it reused everything")
	}
	second, err := Assemble(context.Background(), o)
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
	third, err := Assemble(context.Background(), o)
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
	fourth, err := Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer fourth.Close()
	if fourth.Reused {
		t.Error("zstd build reused the gzip build's layers")
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
	full, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64")})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	slim, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Recipe: r}})
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
	if cf.Config.Labels[imageconfig.LabelRecipeDigest] != r.Digest() || r.Digest() == "" {
		t.Errorf("recipe digest label = %q, want %q", cf.Config.Labels[imageconfig.LabelRecipeDigest], r.Digest())
	}
}

// TestSBOM builds with SBOMs: each image's document, made from the layer
// writer's digests, is the one sbom.Generate makes from the recipe's files
// on disk, and a cache filled without digests is not trusted for it.
func TestSBOM(t *testing.T) {
	ctx := context.Background()
	r, err := recipes.Lookup(filepath.Join("testdata", "notests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	o := Options{SDKs: fakeSDKs(t, "amd64", "arm64"), CacheDir: cache, Tool: "gorootimg test", Resolved: imagespec.Resolved{Recipe: r}}
	plain, err := Assemble(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	plain.Close()
	if len(plain.Images[0].Referrers) != 0 {
		t.Errorf("build without SBOM has referrers %+v", plain.Images[0].Referrers)
	}
	o.SBOM = true
	var docs [][]byte
	for i := range 2 {
		res, err := Assemble(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if res.Reused != (i == 1) {
			t.Errorf("SBOM build %d: Reused = %v, want %v (the first cache had no digests)", i, res.Reused, i == 1)
		}
		if d1, d2 := digestsOf(t, res.Index), digestsOf(t, plain.Index); d1.Index != d2.Index {
			t.Errorf("SBOM build %d index = %s, want the plain build's %s", i, d1.Index, d2.Index)
		}
		ref := res.Images[0].Referrers
		if len(ref) != 1 || ref[0].Kind != "SBOM" || ref[0].ArtifactType != sbom.MediaType || ref[0].FileSuffix != ".spdx.json" {
			t.Fatalf("referrers = %+v, want one SBOM", ref)
		}
		docs = append(docs, ref[0].Data)
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Error("the SBOM from cached layers differs from the one written afresh")
	}
	// The reference: the same document from the files the recipe keeps.
	s := o.SDKs[0]
	_, kept, err := prune.Prepare(ctx, s.Tree(), r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The file system layer, the first above scratch, hashed from its tar.
	img := plain.Images[0].Image
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	fsDigests := tarDigests(t, ls[0])
	want, err := sbom.Generate(ctx, sbom.Input{SDK: s, Recipe: r.Name, RecipeDigest: r.Digest(), Files: kept, FileSystem: fsDigests,
		GOROOTPath: goroot.DefaultImagePath, Created: s.Time, Tool: "gorootimg test"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs[0], want) {
		t.Errorf("SBOM of the build differs from the SBOM of the kept files:\n%s\nwant\n%s", docs[0], want)
	}
	// On scratch the CA bundle is a file of the image, and of its SBOM.
	sum, err := sbom.Read(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := rootfs.CABundle()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range sum.FileSystem {
		if "/"+f.Name == rootfs.CABundlePath {
			found = true
			if want := fmt.Sprintf("%x", sha256.Sum256(bundle.PEM)); f.SHA256 != want {
				t.Errorf("SBOM's %s sha256 = %s, want %s", f.Name, f.SHA256, want)
			}
		}
	}
	if !found || len(sum.FileSystem) != len(fsDigests) {
		t.Errorf("SBOM's file system files = %+v, want the %d files of the layer with %s", sum.FileSystem, len(fsDigests), rootfs.CABundlePath)
	}
}

// tarDigests hashes the regular files and symlinks of l's tar, in order.
func tarDigests(t *testing.T, l v1.Layer) []layers.FileDigest {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []layers.FileDigest
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			out = append(out, layers.FileDigest{Name: h.Name, Link: h.Linkname})
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, layers.FileDigest{Name: h.Name, SHA1: fmt.Sprintf("%x", sha1.Sum(b)), SHA256: fmt.Sprintf("%x", sha256.Sum256(b))})
		}
	}
}
