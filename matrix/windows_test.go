package matrix

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/sdk"
)

// TestExpandWindows: a Windows variant per ltsc base, with its own
// platforms, gets the official images' tags beside the Linux variants.
func TestExpandWindows(t *testing.T) {
	const file = `repository: ghcr.io/org/go
go: ["1.26"]
platforms: [linux/amd64]
variants:
  - {name: "", recipe: ci}
  - {name: nanoserver-ltsc2022, platforms: [windows/amd64], base: "oci:bases/nanoserver-ltsc2022"}
`
	f, err := Parse("images.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	win := v1.Platform{OS: "windows", Architecture: "amd64"}
	rels := []sdk.Release{{Version: "go1.26.11", Platforms: []v1.Platform{amd64, win}, Supported: true}}
	images, err := f.Expand(rels)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"go1.26.11: 1.26.11 1.26 1 latest",
		"go1.26.11 nanoserver-ltsc2022: 1.26.11-nanoserver-ltsc2022 1.26-nanoserver-ltsc2022 1-nanoserver-ltsc2022 nanoserver-ltsc2022",
	}
	if got := summary(images); !reflect.DeepEqual(got, want) {
		t.Errorf("Expand =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := images[1].Platforms; !reflect.DeepEqual(got, []v1.Platform{win}) {
		t.Errorf("windows variant platforms = %v, want [windows/amd64]", got)
	}
	if _, err := f.Expand([]sdk.Release{{Version: "go1.26.11", Platforms: []v1.Platform{amd64}, Supported: true}}); err == nil {
		t.Errorf("Expand with no windows/amd64 release = nil error, want one")
	}
	f.Variants[1].Platforms = []string{}
	if err := f.validate(); err == nil || !strings.Contains(err.Error(), "empty list") {
		t.Errorf("validate(platforms: []) = %v, want an empty-list error", err)
	}
}
