package sdk

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestIsPathSpec runs on any OS: the Windows forms are judged as
// gorootimg running on Windows would judge them.
func TestIsPathSpec(t *testing.T) {
	for _, tc := range []struct {
		spec, goos string
		want       bool
	}{
		{`D:\dev\go\1.22.5`, "windows", true},
		{`D:/dev/go/1.22.5`, "windows", true},
		{`d:go`, "windows", true},
		{`\\server\share\go\1.22.5`, "windows", true},
		{`//server/share/go`, "windows", true},
		{`\\?\D:\dev\go`, "windows", true},
		{`.\go`, "windows", true},
		{`go1.22.5.windows-amd64`, "windows", false},
		{"1.22.5", "windows", false},
		{"local", "windows", false},
		{`D:\dev\go\1.22.5`, "linux", false}, // a file name with backslashes on Linux
		{"/usr/local/go", "linux", true},
		{"./go", "linux", true},
		{"1.22", "linux", false},
	} {
		if got := isPathSpec(tc.spec, tc.goos); got != tc.want {
			t.Errorf("isPathSpec(%q, %s) = %v, want %v", tc.spec, tc.goos, got, tc.want)
		}
	}
}

// TestWindowsPathsAreNoRelease: no Windows path form is taken for a
// release, whatever it ends in.
func TestWindowsPathsAreNoRelease(t *testing.T) {
	for _, spec := range []string{`D:\dev\go\1.22.5`, `\\server\share\go\1.22.5`, `D:1.22.5`, `C:/go/1.26`} {
		if v, _, ok := parseRelease(spec); ok {
			t.Errorf("parseRelease(%q) = %q, want no release", spec, v)
		}
	}
}

func TestImageGOROOT(t *testing.T) {
	win, lin := v1.Platform{OS: "windows", Architecture: "amd64"}, v1.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		path            string
		p               v1.Platform
		name, layerPath string
	}{
		{"/usr/local/go", lin, "/usr/local/go", "/usr/local/go"},
		{"/usr/local/go", win, `C:\Program Files\Go`, "/Files/Program Files/Go"},
		{`C:\dev\go`, win, `C:\dev\go`, "/Files/dev/go"},
	} {
		if name, lp := imageGOROOT(tc.path, tc.p); name != tc.name || lp != tc.layerPath {
			t.Errorf("imageGOROOT(%q, %s) = %q, %q; want %q, %q", tc.path, tc.p.OS, name, lp, tc.name, tc.layerPath)
		}
	}
}
