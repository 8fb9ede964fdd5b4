package matrix

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imagespec"
)

// issueExample is the file of issue 13, as written there.
const issueExample = `repository: ghcr.io/org/go-build
go: [supported]              # or ["1.26", "1.25.3"]
platforms: [linux/amd64, linux/arm64]
variants:
  - name: ""                 # no tag suffix
    recipe: ci
  - name: bookworm
    recipe: ci
    base: ghcr.io/org/go-base:bookworm
# tags: [...]                # optional templates; the default is the official scheme
`

func TestParseIssueExample(t *testing.T) {
	f, err := Parse("images.yaml", []byte(issueExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := &File{
		Name:       "images.yaml",
		Repository: "ghcr.io/org/go-build",
		Go:         []Selector{Supported},
		Platforms:  []string{"linux/amd64", "linux/arm64"},
		Variants: []Variant{
			{Name: "", Spec: imagespec.Spec{Recipe: "ci", SBOM: "spdx", Provenance: true}, Line: 5},
			{Name: "bookworm", Spec: imagespec.Spec{Recipe: "ci", Base: "ghcr.io/org/go-base:bookworm", SBOM: "spdx", Provenance: true}, Line: 7},
		},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("Parse(issue example) =\n%+v\nwant\n%+v", f, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "empty file"},
		{"two documents", "repository: a/b\n---\nrepository: c/d\n", "more than one YAML document"},
		{"not a mapping", "- a\n", "line 1: want a mapping"},
		{"unknown key", "repository: a/b\nplatform: [linux/amd64]\n", `line 2: unknown key "platform" (want one of repository, go, platforms, variants, tags)`},
		{"unknown variant key", "variants:\n  - name: x\n    recipie: ci\n", `line 3: unknown variant key "recipie"`},
		{"variant not a mapping", "variants: [ci]\n", "line 1: a variant is a mapping"},
		{"go not a list", "go: supported\n", "line 1: cannot unmarshal"},
		{"bad level type", "variants:\n  - compression-level: high\n", "line 2: cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("images.yaml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "parsing images file images.yaml: ") {
				t.Fatalf("Parse(%q) error = %v, want %q", tc.data, err, tc.want)
			}
		})
	}
}

func validFile() *File {
	return &File{
		Repository: "ghcr.io/org/go-build",
		Go:         []Selector{"1.26", "1.25.3"},
		Platforms:  []string{"linux/amd64", "linux/arm64"},
		Variants:   []Variant{{Name: ""}, {Name: "bookworm", Spec: imagespec.Spec{Base: "debian:bookworm-slim"}}},
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *File)
		want   string // "" = valid
	}{
		{"valid", func(f *File) {}, ""},
		{"every option", func(f *File) {
			f.Variants[1] = Variant{Name: "warm", Spec: imagespec.Spec{Recipe: "./my.yaml", Base: "oci:./base:v1", Compression: "zstd", CompressionLevel: 19, WarmCache: []string{"std", "race", "tools"}, GOROOTPath: "/opt/go"}}
			f.Tags = []TagTemplate{"{{.Version}}{{.Suffix}}", "go{{.Minor}}{{.Suffix}}"}
			f.Platforms = append(f.Platforms, "linux/arm/v7")
		}, ""},
		{"no repository", func(f *File) { f.Repository = "" }, "repository: missing"},
		{"repository with tag", func(f *File) { f.Repository = "ghcr.io/org/go:1.26" }, `repository "ghcr.io/org/go:1.26": want a repository`},
		{"repository with credentials", func(f *File) { f.Repository = "robot:hunter2@ghcr.io/org/go" }, "repository: holds an @"},
		{"no go", func(f *File) { f.Go = nil }, "go: no release selected"},
		{"bad selector", func(f *File) { f.Go = []Selector{"1.26", "stable"} }, `go: "stable": want supported, a line such as 1.26 or a release such as 1.25.3`},
		{"bad selector major", func(f *File) { f.Go = []Selector{"1"} }, `go: "1": want supported`},
		{"no platforms", func(f *File) { f.Platforms = nil }, "platforms: none"},
		{"bad platform", func(f *File) { f.Platforms = []string{"linux"} }, `platforms: "linux": want os/arch`},
		{"empty arch", func(f *File) { f.Platforms = []string{"linux/"} }, `platforms: "linux/": want os/arch`},
		{"platform twice", func(f *File) { f.Platforms = []string{"linux/amd64", "linux/amd64"} }, `platforms: "linux/amd64" is given twice`},
		{"no variants", func(f *File) { f.Variants = nil }, "variants: none"},
		{"variant twice", func(f *File) { f.Variants[1].Name = "" }, `variant "": the name is given twice`},
		{"bad variant name", func(f *File) { f.Variants[1].Name = "book worm" }, `variant "book worm": name "book worm": want a tag suffix`},
		{"variant name leading dash", func(f *File) { f.Variants[1].Name = "-x" }, `without a leading - or .`},
		{"unknown recipe", func(f *File) { f.Variants[0].Recipe = "tiny" }, `recipe: "tiny": no such built-in recipe (have full, slim, ci, ci-native, build, minimal)`},
		{"bad base", func(f *File) { f.Variants[1].Base = "Debian:Bookworm" }, `base: parsing image reference "Debian:Bookworm"`},
		{"base with credentials", func(f *File) { f.Variants[1].Base = "robot:hunter2@ghcr.io/org/base" }, "cannot hold user:password@"},
		{"empty oci base", func(f *File) { f.Variants[1].Base = "oci:" }, `base: "oci:": want oci:DIR[:TAG]`},
		{"bad compression", func(f *File) { f.Variants[0].Compression = "xz" }, `compression: compression "xz": want gzip or zstd`},
		{"gzip level", func(f *File) { f.Variants[0].CompressionLevel = 9 }, ""},
		{"gzip level too high", func(f *File) { f.Variants[0].CompressionLevel = 22 }, "compression-level: gzip compression level 22: want 1 to 9"},
		{"level too high", func(f *File) { f.Variants[0].Compression, f.Variants[0].CompressionLevel = "zstd", 23 }, "compression-level: zstd compression level 23: want 1 to 22"},
		{"bad warm cache", func(f *File) { f.Variants[0].WarmCache = []string{"all"} }, `warm-cache: warm cache item "all": want one of std, vet, race, tools`},
		{"warm cache twice", func(f *File) { f.Variants[0].WarmCache = []string{"std", "std"} }, `warm-cache: "std" is given twice`},
		{"relative goroot", func(f *File) { f.Variants[0].GOROOTPath = "go" }, `goroot-path: `},
		{"unclean goroot", func(f *File) { f.Variants[0].GOROOTPath = "/usr/local/go/" }, `goroot-path: `},
		{"bad template", func(f *File) { f.Tags = []TagTemplate{"{{.Version"} }, `tags: "{{.Version": template: tag:1: unclosed action`},
		{"unknown field", func(f *File) { f.Tags = []TagTemplate{"{{.Patch}}"} }, `tags: "{{.Patch}}": template: tag:1:2: executing "tag" at <.Patch>: can't evaluate field Patch`},
		{"empty template", func(f *File) { f.Tags = []TagTemplate{" "} }, "tags: an empty template"},
		{"empty tags", func(f *File) { f.Tags = []TagTemplate{} }, "tags: an empty list gives the images no tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := validFile()
			tc.change(f)
			before := deepCopy(t, f)
			err := f.Validate()
			if !reflect.DeepEqual(f, before) {
				t.Errorf("Validate changed the file:\n%+v\nwas\n%+v", f, before)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Validate() = %v: the error shows the password", err)
			}
		})
	}
}

// deepCopy copies f through its fields (no pointers but slices inside).
func deepCopy(t *testing.T, f *File) *File {
	t.Helper()
	c := *f
	c.Go = append([]Selector(nil), f.Go...)
	c.Platforms = append([]string(nil), f.Platforms...)
	c.Tags = append([]TagTemplate(nil), f.Tags...)
	if f.Tags != nil && len(f.Tags) == 0 {
		c.Tags = []TagTemplate{}
	}
	c.Variants = nil
	for _, v := range f.Variants {
		v.WarmCache = append([]string(nil), v.WarmCache...)
		c.Variants = append(c.Variants, v)
	}
	return &c
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "images.yaml")
	if err := os.WriteFile(p, []byte(issueExample), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil || f.Dir != dir || f.Name != p {
		t.Fatalf("Load(%q) = %+v, %v", p, f, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(issueExample, "recipe: ci\n  - name: bookworm", "recipe: tiny\n  - name: bookworm", 1)), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), `images file `+bad+`: variant "" (line 5): recipe: "tiny"`) {
		t.Errorf("Load(bad recipe) error = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "reading images file") {
		t.Errorf("Load(missing) error = %v", err)
	}
}

// TestParseSpecKeys checks a variant takes every key of imagespec.Spec,
// gzip levels included, and that sbom and provenance default on.
func TestParseSpecKeys(t *testing.T) {
	data := `repository: ghcr.io/org/go-build
go: ["1.26"]
platforms: [linux/amd64]
variants:
  - name: gz
    compression-level: 9
    layers: toolchain,rest
    source: https://example.com/repo
  - name: bare
    sbom: ""
    provenance: false
`
	f, err := Parse("images.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := []imagespec.Spec{
		{CompressionLevel: 9, Layers: "toolchain,rest", Source: "https://example.com/repo", SBOM: "spdx", Provenance: true},
		{},
	}
	for i, v := range f.Variants {
		if !reflect.DeepEqual(v.Spec, want[i]) {
			t.Errorf("variant %d spec = %+v, want %+v", i, v.Spec, want[i])
		}
	}
}
