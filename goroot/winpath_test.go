package goroot

import "testing"

func TestCleanWindowsImagePath(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"default", `C:\Program Files\Go`, `C:\Program Files\Go`, true},
		{"lower drive slashes", `c:/go/`, `C:\go`, true},
		{"mixed", `C:\dev/go\1.22.5`, `C:\dev\go\1.22.5`, true},
		{"other drive", `D:\dev\go\1.22.5`, "", false},
		{"relative", `C:go`, "", false},
		{"root", `C:\`, "", false},
		{"dotdot", `C:\go\..\x`, "", false},
		{"empty component", `C:\go\\x`, "", false},
		{"whiteout", `C:\.wh.go`, "", false},
		{"unix", "/usr/local/go", "", false},
		{"unc", `\\server\share\go`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CleanWindowsImagePath(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("CleanWindowsImagePath(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestLayerDir(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/local/go", "usr/local/go"},
		{`C:\Program Files\Go`, "Files/Program Files/Go"},
		{`C:\go`, "Files/go"},
	} {
		if got := LayerDir(tc.in); got != tc.want {
			t.Errorf("LayerDir(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if err := CheckAnyImagePath(tc.in); err != nil {
			t.Errorf("CheckAnyImagePath(%q) = %v, want nil", tc.in, err)
		}
	}
	if got, want := JoinImagePath(`C:\Program Files\Go`, "bin/go.exe"), `C:\Program Files\Go\bin\go.exe`; got != want {
		t.Errorf("JoinImagePath = %q, want %q", got, want)
	}
	if got, want := JoinImagePath("/usr/local/go", "bin/go"), "/usr/local/go/bin/go"; got != want {
		t.Errorf("JoinImagePath = %q, want %q", got, want)
	}
}
