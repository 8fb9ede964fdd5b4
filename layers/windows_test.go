package layers

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteWindows(t *testing.T) {
	src := filepath.Join(t.TempDir(), "go.exe")
	if err := os.WriteFile(src, []byte("MZ"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries := []Entry{
		{Name: "Files/Program Files/Go/bin/go.exe", Src: src, Size: 2, Mode: 0o755},
		{Name: "Files/Program Files/Go/src", Mode: fs.ModeDir | 0o755},
	}
	var names []string
	for _, h := range writeHeaders(t, entries, WithWindows(true)) {
		names = append(names, h.Name)
		if got := h.PAXRecords[PAXSecurityDescriptor]; got != UsersSecurityDescriptor {
			t.Errorf("%s: %s = %q, want %q", h.Name, PAXSecurityDescriptor, got, UsersSecurityDescriptor)
		}
	}
	want := "Files/ Files/Program Files/ Files/Program Files/Go/ Files/Program Files/Go/bin/ Files/Program Files/Go/bin/go.exe Files/Program Files/Go/src/ Hives/"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Write(WithWindows) entries = %q, want %q", got, want)
	}
}

func TestWriteWindowsRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    Entry
		want string
	}{
		{"outside Files", Entry{Name: "usr/local/go", Mode: fs.ModeDir | 0o755}, "holds only Files/ and Hives/"},
		{"symlink", Entry{Name: "Files/go/link", Mode: fs.ModeSymlink | 0o777, Link: "x"}, "cannot hold a symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(context.Background(), filepath.Join(t.TempDir(), "l"), []Entry{tc.e}, WithWindows(true))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write(%q, WithWindows) = %v, want an error containing %q", tc.e.Name, err, tc.want)
			}
		})
	}
}
