package imagespec

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCheckPlatformsWindows(t *testing.T) {
	win := v1.Platform{OS: "windows", Architecture: "amd64"}
	lin := v1.Platform{OS: "linux", Architecture: "amd64"}
	const b = "oci:base"
	for _, tc := range []struct {
		name  string
		spec  Spec
		plats []v1.Platform
		want  string // "" for no error
	}{
		{"mixed defaults", Spec{Base: b}, []v1.Platform{lin, win}, ""},
		{"windows path", Spec{Base: b, GOROOTPath: `C:\dev\go`}, []v1.Platform{win}, ""},
		{"unix default named", Spec{Base: b, GOROOTPath: "/usr/local/go"}, []v1.Platform{win}, ""},
		{"unix path windows only", Spec{Base: b, GOROOTPath: "/opt/go"}, []v1.Platform{win}, "goroot-path"},
		{"windows path linux only", Spec{GOROOTPath: `C:\go`}, []v1.Platform{lin}, "goroot-path"},
		{"scratch", Spec{}, []v1.Platform{win}, "needs a Windows base"},
		{"user", Spec{Base: b, User: "65532"}, []v1.Platform{lin, win}, "user"},
		{"warm cache", Spec{Base: b, WarmCache: []string{"std"}}, []v1.Platform{win}, "warm-cache"},
		{"386", Spec{Base: b}, []v1.Platform{{OS: "windows", Architecture: "386"}}, "windows/386"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.checkPlatforms(tc.plats)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("checkPlatforms(%v) = %v, want %q", tc.plats, err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ p, goos, want string }{
		{"", "windows", `C:\Program Files\Go`},
		{"/opt/go", "windows", `C:\Program Files\Go`},
		{`c:/dev/go`, "windows", `C:\dev\go`},
		{`C:\dev\go`, "linux", "/usr/local/go"},
		{"/opt/go", "linux", "/opt/go"},
	} {
		if got := GOROOTFor(tc.p, tc.goos); got != tc.want {
			t.Errorf("GOROOTFor(%q, %q) = %q, want %q", tc.p, tc.goos, got, tc.want)
		}
	}
}
