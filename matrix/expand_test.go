package matrix

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/sdk"
)

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
	arm   = v1.Platform{OS: "linux", Architecture: "arm"}
)

// testReleases is what a proxy serving two supported lines, an older one
// and a release candidate of the next would list, newest first.
func testReleases() []sdk.Release {
	both := []v1.Platform{amd64, arm64}
	return []sdk.Release{
		{Version: "go1.27rc1", Platforms: both},
		{Version: "go1.26.11", Platforms: []v1.Platform{amd64, arm64, arm}, Supported: true},
		{Version: "go1.26.10", Platforms: both, Supported: true},
		{Version: "go1.25.14", Platforms: both, Supported: true},
		{Version: "go1.25.3", Platforms: both, Supported: true},
		{Version: "go1.24.13", Platforms: []v1.Platform{amd64}},
	}
}

// summary is an image as "go1.26.11 bookworm: 1.26.11-bookworm 1.26-bookworm".
func summary(images []Image) []string {
	var out []string
	for _, im := range images {
		out = append(out, im.String()+": "+strings.Join(im.Tags, " "))
	}
	return out
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *File)
		want   []string
	}{
		{"issue example", func(f *File) {}, []string{
			"go1.26.11: 1.26.11 1.26 1 latest",
			"go1.26.11 bookworm: 1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm",
			"go1.25.14: 1.25.14 1.25",
			"go1.25.14 bookworm: 1.25.14-bookworm 1.25-bookworm",
		}},
		{"lines and a pinned release", func(f *File) { f.Go = []Selector{"1.25.3", "1.26"} }, []string{
			"go1.26.11: 1.26.11 1.26 1 latest",
			"go1.26.11 bookworm: 1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm",
			"go1.25.3: 1.25.3 1.25",
			"go1.25.3 bookworm: 1.25.3-bookworm 1.25-bookworm",
		}},
		{"a pinned release beside its line's newest", func(f *File) {
			f.Go = []Selector{"1.25", "1.25.3"}
			f.Variants = f.Variants[:1]
		}, []string{
			"go1.25.14: 1.25.14 1.25 1 latest",
			"go1.25.3: 1.25.3",
		}},
		{"selectors naming one release once", func(f *File) {
			f.Go = []Selector{Supported, "1.26", "go1.26.11"}
			f.Variants = f.Variants[:1]
		}, []string{
			"go1.26.11: 1.26.11 1.26 1 latest",
			"go1.25.14: 1.25.14 1.25",
		}},
		{"a line's newest served for every platform", func(f *File) {
			f.Go = []Selector{"1.26"}
			f.Platforms = []string{"linux/arm/v7"}
			f.Variants = f.Variants[:1]
		}, []string{"go1.26.11: 1.26.11 1.26 1 latest"}},
		{"release candidate gets only its own tags", func(f *File) { f.Go = []Selector{"1.27rc1", "1.26"} }, []string{
			"go1.27rc1: 1.27rc1",
			"go1.27rc1 bookworm: 1.27rc1-bookworm",
			"go1.26.11: 1.26.11 1.26 1 latest",
			"go1.26.11 bookworm: 1.26.11-bookworm 1.26-bookworm 1-bookworm bookworm",
		}},
		{"custom templates", func(f *File) {
			f.Tags = []TagTemplate{"go{{.Version}}{{.Suffix}}", "{{if not .Variant}}stable{{end}}", "{{.Minor}}-{{or .Variant \"scratch\"}}"}
		}, []string{
			"go1.26.11: go1.26.11 stable 1.26-scratch",
			"go1.26.11 bookworm: go1.26.11-bookworm 1.26-bookworm",
			"go1.25.14: go1.25.14 1.25-scratch",
			"go1.25.14 bookworm: go1.25.14-bookworm 1.25-bookworm",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("images.yaml", []byte(issueExample))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(f)
			images, err := f.Expand(testReleases())
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if got := summary(images); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Expand =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestExpandImage(t *testing.T) {
	f, err := Parse("images.yaml", []byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	f.Dir = "conf"
	f.Variants = append(f.Variants, Variant{Name: "warm", Spec: imagespec.Spec{Recipe: "recipes/warm.yaml", Compression: "zstd", CompressionLevel: 19, WarmCache: []string{"std"}, GOROOTPath: "/opt/go"}})
	images, err := f.Expand(testReleases())
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 6 {
		t.Fatalf("Expand gave %d images, want 6", len(images))
	}
	first, warm := images[0], images[2]
	if first.Release.Version != "go1.26.11" || !reflect.DeepEqual(first.Platforms, []v1.Platform{amd64, arm64}) {
		t.Errorf("first image = %s for %v, want go1.26.11 for linux/amd64, linux/arm64", &first, first.Platforms)
	}
	wantDefaults := Variant{Name: "", Spec: imagespec.Spec{Recipe: "ci", Base: "scratch", Compression: "gzip", GOROOTPath: "/usr/local/go", SBOM: "spdx", Provenance: true}, Line: 5}
	if !reflect.DeepEqual(first.Variant, wantDefaults) {
		t.Errorf("first image's variant = %+v, want the defaults %+v", first.Variant, wantDefaults)
	}
	if warm.Variant.Recipe != filepath.Join("conf", "recipes/warm.yaml") || warm.Variant.Compression != "zstd" || warm.Variant.CompressionLevel != 19 || warm.Variant.GOROOTPath != "/opt/go" {
		t.Errorf("warm variant = %+v, want the recipe relative to the file and its own options", warm.Variant)
	}
	if got := first.Ref("1.26").String(); got != "ghcr.io/org/go-build:1.26" {
		t.Errorf("Ref(1.26) = %q", got)
	}
	// The images do not share the file's slices.
	images[2].Variant.WarmCache[0] = "race"
	if f.Variants[2].WarmCache[0] != "std" {
		t.Errorf("changing an image's warm-cache changed the file's")
	}
}

func TestExpandErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *File)
		want   string
	}{
		{"invalid file", func(f *File) { f.Go = []Selector{"newest"} }, `images file images.yaml: go: "newest": want supported`},
		{"unknown release", func(f *File) { f.Go = []Selector{"1.26.99"} }, "images file images.yaml: go: 1.26.99: no such release; newest 1.26 is 1.26.11"},
		{"unknown line", func(f *File) { f.Go = []Selector{"1.28"} }, "go: 1.28: no Go release 1.28; newest is 1.26.11"},
		{"platform not served", func(f *File) { f.Go = []Selector{"1.25.3"}; f.Platforms = []string{"linux/amd64", "windows/amd64"} },
			"go: 1.25.3: go1.25.3 is not served for windows/amd64; it is served for linux/amd64, linux/arm64"},
		{"line not served", func(f *File) { f.Go = []Selector{"1.24"} }, "go: 1.24: no release is served for linux/amd64, linux/arm64; go1.24.13 is served for linux/amd64"},
		{"supported not served", func(f *File) { f.Platforms = []string{"linux/arm"} }, "go: supported: 1.25: no release is served for linux/arm"},
		{"invalid tag", func(f *File) { f.Tags = []TagTemplate{"{{.Version}}+{{.Variant}}"} }, `tags: "{{.Version}}+{{.Variant}}" renders "1.26.11+" for go1.26.11: not a valid tag`},
		{"tag with a leading dot", func(f *File) { f.Tags = []TagTemplate{".{{.Version}}{{.Suffix}}"} }, `renders ".1.26.11" for go1.26.11: not a valid tag: a tag cannot begin with "."`},
		{"tag too long", func(f *File) {
			f.Tags = []TagTemplate{TagTemplate(strings.Repeat("x", 120)) + "{{.Version}}{{.Suffix}}"}
		}, "not a valid tag"},
		{"same tag for two variants", func(f *File) { f.Tags = []TagTemplate{"{{.Version}}"} }, `tags: "{{.Version}}" renders "1.26.11" for both go1.26.11 and go1.26.11 bookworm; give each variant its own tags`},
		{"latest for two variants", func(f *File) { f.Tags = []TagTemplate{"{{.Version}}{{.Suffix}}", "latest"} }, `tags: "latest" renders "latest" for both go1.26.11 and go1.26.11 bookworm`},
		{"image without a tag", func(f *File) { f.Tags = []TagTemplate{"{{.Minor}}{{.Suffix}}"}; f.Go = []Selector{"1.25", "1.25.3"} }, "tags: go1.25.3 gets no tag"},
		{"warm tools before 1.25", func(f *File) {
			f.Go = []Selector{"1.24"}
			f.Platforms = []string{"linux/amd64"}
			f.Variants[1].WarmCache = []string{"tools"}
		}, `variant "bookworm" (line 7): warm-cache tools needs Go 1.25 or later, and go selects go1.24.13`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("images.yaml", []byte(issueExample))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(f)
			images, err := f.Expand(testReleases())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Expand error = %v, want %q", err, tc.want)
			}
			if images != nil {
				t.Errorf("Expand returned %d images with its error", len(images))
			}
		})
	}
}

func TestNewTagData(t *testing.T) {
	for _, tc := range []struct {
		v, variant string
		want       TagData
	}{
		{"go1.26.11", "", TagData{Version: "1.26.11", Minor: "1.26", Major: "1"}},
		{"go1.27rc1", "bookworm", TagData{Version: "1.27rc1", Minor: "1.27", Major: "1", Variant: "bookworm", Suffix: "-bookworm"}},
		{"go1.20", "", TagData{Version: "1.20", Minor: "1.20", Major: "1"}},
	} {
		if got := newTagData(tc.v, tc.variant); got != tc.want {
			t.Errorf("newTagData(%q, %q) = %+v, want %+v", tc.v, tc.variant, got, tc.want)
		}
	}
}
