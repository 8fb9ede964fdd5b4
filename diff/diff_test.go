package diff

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorootimg/gorootimg/goroot"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// tf is one tar entry for a test layer. Content "" with dir set is a directory.
type tf struct {
	name, content string
	dir           bool
	link          string
}

func tarBytes(t *testing.T, files ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.content)), Typeflag: tar.TypeReg}
		switch {
		case f.dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case f.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			io.WriteString(tw, f.content)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// countingLayer counts how often a layer's contents are opened.
type countingLayer struct {
	v1.Layer
	opens *atomic.Int32
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.opens.Add(1)
	return l.Layer.Uncompressed()
}

func layer(t *testing.T, opens *atomic.Int32, files ...tf) v1.Layer {
	t.Helper()
	b := tarBytes(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	if opens == nil {
		return l
	}
	return countingLayer{Layer: l, opens: opens}
}

func image(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func side(t *testing.T, name string, img v1.Image) *Side {
	t.Helper()
	s := NewSide(name)
	if err := s.AddImage(amd64, img); err != nil {
		t.Fatal(err)
	}
	return s
}

func big(n int) string { return strings.Repeat("x", n) }

// base is a layer with files outside GOROOT and a small GOROOT.
func baseFiles() []tf {
	return []tf{
		{name: "etc/", dir: true},
		{name: "etc/os-release", content: "ID=test\n"},
		{name: "usr/local/go/", dir: true},
		{name: "usr/local/go/VERSION", content: "go1.99.0\n"},
		{name: "usr/local/go/bin/go", content: big(5000)},
		{name: "usr/local/go/pkg/tool/linux_amd64/compile", content: big(9000)},
		{name: "usr/local/go/src/fmt/print.go", content: big(300)},
		{name: "usr/local/go/src/fmt/print_test.go", content: big(200)},
		{name: "usr/local/go/src/cmd/go/main.go", content: big(400)},
		{name: "usr/local/go/src/fmt/testdata/x.txt", content: big(50)},
		{name: "usr/local/go/doc/go_spec.html", content: big(700)},
		{name: "usr/local/go/lib/time/zoneinfo.zip", content: big(1000)},
		{name: "usr/local/go/bin/gofmt", link: "go"},
	}
}

func TestWhiteoutsAndCategories(t *testing.T) {
	ctx := context.Background()
	l1 := layer(t, nil, baseFiles()...)
	// Layer 2 removes a file and a directory, makes src/fmt opaque
	// (dropping everything below it from layer 1) and replaces bin/go.
	l2 := layer(t, nil,
		tf{name: "usr/local/go/doc/.wh.go_spec.html"},
		tf{name: "usr/local/go/src/.wh.cmd"},
		tf{name: "usr/local/go/src/fmt/.wh..wh..opq"},
		tf{name: "usr/local/go/src/fmt/print.go", content: big(310)},
		tf{name: "usr/local/go/bin/go", content: big(4000)},
	)
	a := side(t, "a", image(t, l1))
	b := side(t, "b", image(t, l1, l2))
	r, err := Compare(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Platforms) != 1 {
		t.Fatalf("Compare gave %d platforms, want 1", len(r.Platforms))
	}
	p := r.Platforms[0]

	// Final view of B: doc/go_spec.html, src/cmd/**, fmt/print_test.go and
	// fmt/testdata/x.txt gone; print.go and bin/go replaced.
	wantB := map[string]int64{
		"etc/os-release": 8, "usr/local/go/VERSION": 9, "usr/local/go/bin/go": 4000,
		"usr/local/go/pkg/tool/linux_amd64/compile": 9000, "usr/local/go/src/fmt/print.go": 310,
		"usr/local/go/lib/time/zoneinfo.zip": 1000, "usr/local/go/bin/gofmt": 0,
	}
	var wantBytes int64
	for _, n := range wantB {
		wantBytes += n
	}
	if p.B.Files != len(wantB) || p.B.FileBytes != wantBytes {
		t.Errorf("B totals: %d files, %d bytes; want %d files, %d bytes", p.B.Files, p.B.FileBytes, len(wantB), wantBytes)
	}
	for _, tot := range []Totals{p.A, p.B} {
		if tot.LayerFileBytes != tot.FileBytes+tot.ShadowedBytes {
			t.Errorf("layer file bytes %d != file bytes %d + shadowed %d", tot.LayerFileBytes, tot.FileBytes, tot.ShadowedBytes)
		}
	}
	// B stores l1 (16667 file bytes) and l2 (4310); shadowed = replaced + removed.
	if want := int64(5000 + 300 + 200 + 400 + 50 + 700); p.B.ShadowedBytes != want {
		t.Errorf("B shadowed bytes = %d, want %d", p.B.ShadowedBytes, want)
	}
	// Category sums equal the totals on both sides.
	var aSum, bSum int64
	var aFiles, bFiles int
	got := map[string][2]int64{}
	for _, c := range p.Categories {
		aSum += c.ABytes
		bSum += c.BBytes
		aFiles += c.AFiles
		bFiles += c.BFiles
		got[c.Name] = [2]int64{c.ABytes, c.BBytes}
	}
	if aSum != p.A.FileBytes || bSum != p.B.FileBytes || aFiles != p.A.Files || bFiles != p.B.Files {
		t.Errorf("categories sum to A %d/%d B %d/%d, totals A %d/%d B %d/%d", aFiles, aSum, bFiles, bSum, p.A.Files, p.A.FileBytes, p.B.Files, p.B.FileBytes)
	}
	wantCats := map[string][2]int64{
		"bin": {5000, 4000}, "pkg/tool": {9000, 9000}, "std sources": {300, 310}, "tests": {200, 0},
		"src/cmd": {400, 0}, "testdata": {50, 0}, "docs": {700, 0}, "lib": {1000, 1000},
		"other": {9, 9}, "outside GOROOT": {8, 8},
	}
	for name, want := range wantCats {
		if got[name] != want {
			t.Errorf("category %q = %v, want %v", name, got[name], want)
		}
	}

	// Files: 5 removed, 2 changed, largest change first.
	if p.Removed.Files != 4 || p.Changed.Files != 2 || p.Added.Files != 0 {
		t.Errorf("removed/changed/added = %d/%d/%d, want 4/2/0", p.Removed.Files, p.Changed.Files, p.Added.Files)
	}
	wantOrder := []string{
		"/usr/local/go/bin/go", "/usr/local/go/doc/go_spec.html", "/usr/local/go/src/cmd/go/main.go",
		"/usr/local/go/src/fmt/print_test.go", "/usr/local/go/src/fmt/testdata/x.txt", "/usr/local/go/src/fmt/print.go",
	}
	var order []string
	for _, f := range p.Files {
		order = append(order, f.Path)
	}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("file order\n got %v\nwant %v", order, wantOrder)
	}

	// Layers: l1 shared, l2 only in B.
	if len(p.Layers) != 2 || !p.Layers[0].Shared || p.Layers[0].Side != "both" || p.Layers[1].Side != "B" || p.Layers[1].Shared {
		t.Errorf("layers = %+v, want l1 shared and l2 in B only", p.Layers)
	}
}

func TestSharedLayersReadOnce(t *testing.T) {
	var opens atomic.Int32
	l1 := layer(t, &opens, baseFiles()...)
	l2 := layer(t, &opens, tf{name: "usr/local/go/extra", content: "hello"})
	l3 := layer(t, &opens, tf{name: "usr/local/go/other", content: "bye"})
	a := side(t, "a", image(t, l1, l2))
	b := side(t, "b", image(t, l1, l3))
	r, err := Compare(context.Background(), a, b, WithFiles(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := opens.Load(); got != 3 {
		t.Errorf("layers opened %d times, want 3 (the shared one once)", got)
	}
	p := r.Platforms[0]
	if p.Added.Files != 1 || p.Removed.Files != 1 || len(p.Files) != 1 {
		t.Errorf("added %d removed %d listed %d, want 1, 1, 1", p.Added.Files, p.Removed.Files, len(p.Files))
	}
	if p.Files[0].Path != "/usr/local/go/extra" {
		t.Errorf("largest change = %s, want /usr/local/go/extra", p.Files[0].Path)
	}
}

// TestRegistryVersusLayout compares an image pushed to a registry with the
// same image written to an OCI layout: nothing changes.
func TestRegistryVersusLayout(t *testing.T) {
	ctx := context.Background()
	img := image(t, layer(t, nil, baseFiles()...), layer(t, nil, tf{name: "usr/local/go/src/.wh.cmd"}))
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ref, err := name.ParseReference(u.Host + "/go:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	fromLayout, err := lp.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Compare(ctx, side(t, "registry", pulled), side(t, "oci", fromLayout))
	if err != nil {
		t.Fatal(err)
	}
	assertZero(t, r)
}

// assertZero checks a report shows no change at all.
func assertZero(t *testing.T, r *Report) {
	t.Helper()
	for _, p := range r.Platforms {
		if p.A != p.B {
			t.Errorf("%s: totals differ: A %+v B %+v", p.Platform, p.A, p.B)
		}
		if pct, _ := p.Growth(); pct != 0 {
			t.Errorf("%s: growth %v%%, want 0", p.Platform, pct)
		}
		if p.Added.Files+p.Removed.Files+p.Changed.Files != 0 || len(p.Files) != 0 {
			t.Errorf("%s: files added/removed/changed %d/%d/%d, want none", p.Platform, p.Added.Files, p.Removed.Files, p.Changed.Files)
		}
		for _, l := range p.Layers {
			if !l.Shared {
				t.Errorf("%s: layer %s not shared", p.Platform, l.Digest)
			}
		}
	}
}

// TestTreeSide compares a file tree with an image holding the same files:
// only the files outside GOROOT differ.
func TestTreeSide(t *testing.T) {
	dir := t.TempDir()
	var files []tf
	for _, f := range baseFiles() {
		rel, ok := strings.CutPrefix(f.name, "usr/local/go/")
		if !ok || rel == "" {
			continue
		}
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		var err error
		if f.link != "" {
			err = os.Symlink(f.link, p)
		} else {
			err = os.WriteFile(p, []byte(f.content), 0o444)
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	fsys, err := goroot.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree := NewSide("tree")
	if err := tree.AddTree(amd64, fsys); err != nil {
		t.Fatal(err)
	}
	img := side(t, "img", image(t, layer(t, nil, baseFiles()...)))
	r, err := Compare(context.Background(), tree, img)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Platforms[0]
	if p.A.Compressed != -1 {
		t.Errorf("tree compressed size = %d, want -1 (unknown)", p.A.Compressed)
	}
	if p.Added.Files != 1 || p.Removed.Files != 0 || p.Changed.Files != 0 || p.Files[0].Path != "/etc/os-release" || p.Files[0].Category != "outside GOROOT" {
		t.Errorf("tree vs image: added %d removed %d changed %d files %+v; want only /etc/os-release added", p.Added.Files, p.Removed.Files, p.Changed.Files, p.Files)
	}
	if _, basis := p.Growth(); basis != "uncompressed" {
		t.Errorf("Growth() basis = %s, want uncompressed (a tree has no compressed size)", basis)
	}
	if u := p.A.Uncompressed; u%512 != 0 || u < p.A.FileBytes+512*int64(len(fsys)) {
		t.Errorf("tree uncompressed size %d: want a whole tar stream holding %d entries and %d bytes", u, len(fsys), p.A.FileBytes)
	}
}

func TestFormats(t *testing.T) {
	l1 := layer(t, nil, baseFiles()...)
	l2 := layer(t, nil, tf{name: "usr/local/go/doc/.wh.go_spec.html"})
	r, err := Compare(context.Background(), side(t, "a", image(t, l1)), side(t, "b", image(t, l1, l2)))
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Platforms[0].Removed.Files != 1 || back.Platforms[0].Files[0].Path != "/usr/local/go/doc/go_spec.html" {
		t.Errorf("JSON round trip lost the removed file: %s", js.String())
	}
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
		want  []string
	}{
		{"table", r.WriteTable, []string{"== linux/amd64 ==", "removed", "/usr/local/go/doc/go_spec.html", "docs", "-700 B (-100.0%)"}},
		{"markdown", r.WriteMarkdown, []string{"#### linux/amd64", "| docs | 1 | 700 B | 0 | 0 B | -700 B (-100.0%) |", "`/usr/local/go/doc/go_spec.html`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestNoCommonPlatform(t *testing.T) {
	a := side(t, "a", image(t))
	b := NewSide("b")
	b.AddImage(v1.Platform{OS: "linux", Architecture: "arm64"}, image(t))
	if _, err := Compare(context.Background(), a, b); err == nil || !strings.Contains(err.Error(), "no platform in common") {
		t.Errorf("Compare with disjoint platforms: err = %v, want 'no platform in common'", err)
	}
}
