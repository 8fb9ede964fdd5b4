package diff_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/diff"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/testkit/wintest"
)

// TestCompareWindows compares two Windows images like any: their files
// below Files/ are put in GOROOT categories when WithGOROOT names the
// Windows GOROOT.
func TestCompareWindows(t *testing.T) {
	base := wintest.Base(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "f")
	if err := os.WriteFile(src, []byte("package fmt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	image := func(names ...string) v1.Image {
		var es []layers.Entry
		for _, n := range names {
			es = append(es, layers.Entry{Name: "Files/Program Files/Go/" + n, Src: src, Size: 12, Mode: 0o644})
		}
		l, err := layers.Write(context.Background(), filepath.Join(t.TempDir(), "l"), es, layers.WithWindows(true))
		if err != nil {
			t.Fatal(err)
		}
		v, err := l.V1()
		if err != nil {
			t.Fatal(err)
		}
		img, err := mutate.Append(base, mutate.Addendum{Layer: v, MediaType: types.OCILayer})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	p := v1.Platform{OS: "windows", Architecture: "amd64"}
	a, b := diff.NewSide("A"), diff.NewSide("B")
	if err := a.AddImage(p, image("bin/go.exe", "src/fmt/print.go")); err != nil {
		t.Fatal(err)
	}
	if err := b.AddImage(p, image("bin/go.exe")); err != nil {
		t.Fatal(err)
	}
	r, err := diff.Compare(context.Background(), a, b, diff.WithGOROOT(`C:\Program Files\Go`))
	if err != nil {
		t.Fatal(err)
	}
	files := r.Platforms[0].Files
	if len(files) != 1 || files[0].Path != "/Files/Program Files/Go/src/fmt/print.go" || files[0].Change != "removed" || files[0].Category != "std sources" {
		t.Errorf("Compare(windows).Files = %+v, want src/fmt/print.go removed, category std", files)
	}
}
