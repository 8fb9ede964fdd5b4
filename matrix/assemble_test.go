package matrix

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/warmcache"
)

// TestPrepareWarmCache checks publish resolves a variant as build resolves
// its flags: without a warm-cache of its own a variant takes its recipe's
// (publish used to ignore it), and its own list wins.
func TestPrepareWarmCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "warm.yaml"), []byte("extends: ci\nwarm-cache: std\nrules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &File{
		Name: "images.yaml", Dir: dir, Repository: "example.com/go", Go: []Selector{"1.26"},
		Platforms: []string{"linux/amd64"},
		Variants: []Variant{
			{Name: "", Spec: imagespec.Spec{Recipe: "warm.yaml"}},
			{Name: "race", Spec: imagespec.Spec{Recipe: "warm.yaml", WarmCache: []string{"race"}}},
		},
	}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	images, err := f.Expand(testReleases())
	if err != nil {
		t.Fatal(err)
	}
	got, err := prepare(context.Background(), f, images, &PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]warmcache.Variant{"": {warmcache.Std}, "race": {warmcache.Race}} {
		if !slices.Equal(got[name].WarmCache, want) {
			t.Errorf("prepare: variant %q warm cache = %q, want %q", name, got[name].WarmCache, want)
		}
	}
}

// TestPrepareRecipeToolsNeeds125 checks a recipe's warm-cache tools is
// refused before any work for a release older than Go 1.25, as a
// variant's own is by Expand.
func TestPrepareRecipeToolsNeeds125(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tools.yaml"), []byte("extends: ci\nwarm-cache: tools\nrules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &File{
		Name: "images.yaml", Dir: dir, Repository: "example.com/go", Go: []Selector{"1.24"},
		Platforms: []string{"linux/amd64"},
		Variants:  []Variant{{Name: "", Spec: imagespec.Spec{Recipe: "tools.yaml"}}},
	}
	images, err := f.Expand(testReleases())
	if err != nil {
		t.Fatal(err)
	}
	_, err = prepare(context.Background(), f, images, &PublishOptions{})
	if err == nil || !strings.Contains(err.Error(), "warm-cache tools (recipe") || !strings.Contains(err.Error(), "go1.24.13") {
		t.Errorf("prepare(go1.24, recipe warm-cache tools) = %v, want a Go 1.25 error", err)
	}
}
