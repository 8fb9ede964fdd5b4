package imagespec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/warmcache"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		key  string // "" when valid
		err  string
	}{
		{"zero", Spec{}, "", ""},
		{"everything", Spec{Recipe: "slim", Base: "debian:bookworm-slim", GOROOTPath: "/opt/go", Compression: "zstd",
			CompressionLevel: 22, Layers: "toolchain,rest", WarmCache: []string{"std", "race"}, Source: "https://example.com/r",
			SBOM: "spdx", Provenance: true}, "", ""},
		{"recipe file", Spec{Recipe: "my/recipe.yaml"}, "", ""},
		{"unknown recipe", Spec{Recipe: "tiny"}, "recipe", `"tiny": no such built-in recipe`},
		{"oci base", Spec{Base: "oci:dir:tag"}, "", ""},
		{"empty oci base", Spec{Base: "oci:"}, "base", "want oci:DIR[:TAG]"},
		{"bad base", Spec{Base: "Not A Ref"}, "base", ""},
		{"relative goroot", Spec{GOROOTPath: "usr/local/go"}, "goroot-path", ""},
		{"bad compression", Spec{Compression: "lz4"}, "compression", `"lz4": want gzip or zstd`},
		{"gzip level", Spec{CompressionLevel: 9}, "", ""},
		{"gzip level too high", Spec{CompressionLevel: 22}, "compression-level", "gzip compression level 22: want 1 to 9"},
		{"zstd level too high", Spec{Compression: "zstd", CompressionLevel: 23}, "compression-level", "zstd compression level 23: want 1 to 22"},
		{"negative level", Spec{Compression: "zstd", CompressionLevel: -1}, "compression-level", "want 1 to 22"},
		{"bad layers", Spec{Layers: "toolchain,bogus"}, "layers", `unknown group "bogus"`},
		{"bad warm", Spec{WarmCache: []string{"gcc"}}, "warm-cache", `"gcc"`},
		{"warm twice", Spec{WarmCache: []string{"std", "std"}}, "warm-cache", `"std" is given twice`},
		{"bad sbom", Spec{SBOM: "cyclonedx"}, "sbom", "the only format is spdx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.spec
			err := tc.spec.Validate()
			if !equalSpec(before, tc.spec) {
				t.Errorf("Validate changed the spec: %+v, want %+v", tc.spec, before)
			}
			if tc.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("Validate() = %v, want a %s error containing %q", err, tc.key, tc.err)
			}
		})
	}
}

func equalSpec(a, b Spec) bool { return reflect.DeepEqual(a, b) }

// TestKeys checks the keys come from the struct tags, every field has one,
// and they are what the images file has always called them.
func TestKeys(t *testing.T) {
	want := []string{"recipe", "base", "goroot-path", "compression", "compression-level", "layers", "warm-cache", "source", "sbom", "provenance", "user"}
	if got := Keys(); !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
}

// TestResolveDefaults checks an empty spec resolves to the defaults.
func TestResolveDefaults(t *testing.T) {
	var s Spec
	r, err := s.Resolve(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Recipe.Name != DefaultRecipe || !r.Base.IsScratch() || r.GOROOT != DefaultGOROOTPath ||
		r.Compression != layers.Gzip || r.CompressionLevel != 0 || r.LayerPlan.String() != "toolchain,std,cmd,tests,rest" ||
		r.WarmCache != nil || r.SBOM || r.Provenance {
		t.Errorf("Resolve of an empty spec = %+v, want the defaults", r)
	}
}

// TestResolveWarmCache checks the spec's warm-cache wins and the recipe's
// is the fallback: every front end gets the same rule.
func TestResolveWarmCache(t *testing.T) {
	recipe := filepath.Join(t.TempDir(), "warm.yaml")
	if err := os.WriteFile(recipe, []byte("extends: ci\nwarm-cache: std,race\nrules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		warm []string
		want []warmcache.Variant
	}{
		{"recipe's", nil, []warmcache.Variant{warmcache.Std, warmcache.Race}},
		{"spec's", []string{"tools"}, []warmcache.Variant{warmcache.Tools}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Spec{Recipe: recipe, WarmCache: tc.warm}
			r, err := s.Resolve(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.WarmCache, tc.want) {
				t.Errorf("Resolve(warm-cache %q).WarmCache = %q, want %q", tc.warm, r.WarmCache, tc.want)
			}
		})
	}
}

// TestResolveErrors checks lookups that fail name their key.
func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		key  string
	}{
		{"missing recipe file", Spec{Recipe: filepath.Join(t.TempDir(), "none.yaml")}, "recipe"},
		{"missing base layout", Spec{Base: "oci:" + filepath.Join(t.TempDir(), "none")}, "base"},
		{"invalid", Spec{Compression: "lz4"}, "compression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.spec.Resolve(context.Background(), nil)
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key {
				t.Errorf("Resolve() = %v, want a %s error", err, tc.key)
			}
		})
	}
}

// TestJSONKeys checks every field has the same key in JSON as in YAML, so
// a spec reads the same in an images file and in --json output.
func TestJSONKeys(t *testing.T) {
	typ := reflect.TypeFor[Spec]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		y, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		j, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if y == "" || y != j {
			t.Errorf("field %s: yaml key %q, json key %q; want one kebab-case key", f.Name, y, j)
		}
	}
}

func TestCheckUser(t *testing.T) {
	for _, tc := range []struct {
		user string
		ok   bool
	}{{"", true}, {"65532", true}, {"65532:0", true}, {"1000680000:0", true}, {"0", true},
		{"nonroot", false}, {"65532:", false}, {":0", false}, {"-1", false}, {"01", false}, {"1:2:3", false}} {
		if err := CheckUser(tc.user); (err == nil) != tc.ok {
			t.Errorf("CheckUser(%q) = %v, want ok %v", tc.user, err, tc.ok)
		}
	}
}
