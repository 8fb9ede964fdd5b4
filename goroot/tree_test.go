package goroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    Tree
		wantErr string
	}{
		{"release with time", map[string]string{"VERSION": "go1.22.12\ntime 2025-02-04T20:39:04Z\n", "pkg/tool/linux_amd64/compile": "x"},
			Tree{Version: "go1.22.12", Time: time.Date(2025, 2, 4, 20, 39, 4, 0, time.UTC), GOOS: "linux", GOARCH: "amd64"}, ""},
		{"no time line", map[string]string{"VERSION": "go1.21.0\n", "pkg/tool/darwin_arm64/vet": "x", "pkg/tool/darwin_arm64_race/x": "x"},
			Tree{Version: "go1.21.0", GOOS: "darwin", GOARCH: "arm64"}, ""},
		{"no pkg/tool", map[string]string{"VERSION": "go1.22.12\n"}, Tree{}, "no pkg/tool directory"},
		{"two platforms", map[string]string{"VERSION": "go1.22.12\n", "pkg/tool/linux_amd64/x": "x", "pkg/tool/linux_arm64/x": "x"}, Tree{}, "more than one platform"},
		{"devel", map[string]string{"VERSION": "devel +abc\n", "pkg/tool/linux_amd64/x": "x"}, Tree{}, "is not a Go release"},
		{"bad time", map[string]string{"VERSION": "go1.22.12\ntime yesterday\n", "pkg/tool/linux_amd64/x": "x"}, Tree{}, "bad time line"},
		{"no VERSION", map[string]string{"pkg/tool/linux_amd64/x": "x"}, Tree{}, "reading Go SDK version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Open(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open(%q) = %+v, %v; want an error containing %q", tc.name, got, err, tc.wantErr)
				}
				return
			}
			tc.want.Dir = dir
			if err != nil || got != tc.want {
				t.Fatalf("Open(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
			}
		})
	}
}

func TestCheckImagePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/usr/local/go", true},
		{"/opt/go", true},
		{"/go", true},
		{"usr/local/go", false},
		{"relative/go", false},
		{"", false},
		{"/", false},
		{"/usr/local/go/", false},
		{"/usr//go", false},
		{"/usr/../go", false},
		{"/opt/.wh.go", false},
		{"/.wh..wh..opq/go", false},
		{"/opt/a.wh.b", true},
	} {
		err := CheckImagePath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("CheckImagePath(%q) = %v, want ok=%v", tc.path, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "clean absolute directory") {
			t.Errorf("CheckImagePath(%q) = %v; want it to say what a good path is", tc.path, err)
		}
	}
}

func TestCopyTo(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dst")
	if err := (File{Name: "bin/go", Src: src}).CopyTo(dst, 0o755); err != nil {
		t.Fatalf("CopyTo = %v", err)
	}
	b, err := os.ReadFile(dst)
	fi, err2 := os.Stat(dst)
	if err != nil || err2 != nil || string(b) != "hello" || fi.Mode().Perm() != 0o755 {
		t.Errorf("CopyTo wrote %q (%v), mode %v (%v); want %q, 0755", b, err, fi.Mode(), err2, "hello")
	}
	if err := (File{Src: src}).CopyTo(dst, 0o644); err == nil {
		t.Errorf("CopyTo over an existing file = nil, want an error")
	}
}
