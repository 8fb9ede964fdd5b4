package prune

import "testing"

func TestCommandName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"bin/go.exe", "bin/go"},
		{"bin/gofmt.exe", "bin/gofmt"},
		{"pkg/tool/windows_amd64/vet.exe", "pkg/tool/windows_amd64/vet"},
		{"bin/go", "bin/go"},
		{"src/cmd/go/testdata/x.exe", "src/cmd/go/testdata/x.exe"},
	} {
		if got := commandName(tc.in); got != tc.want {
			t.Errorf("commandName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
