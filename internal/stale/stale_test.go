package stale

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-48 * time.Hour)
	for _, tc := range []struct {
		name string
		old  bool
	}{{"run-killed", true}, {"run-busy", false}, {"other-old", true}, {"run-file", true}} {
		p := filepath.Join(dir, tc.name)
		if tc.name == "run-file" {
			os.WriteFile(p, []byte("x"), 0o644)
		} else if err := os.MkdirAll(filepath.Join(p, "inner"), 0o755); err != nil {
			t.Fatal(err)
		}
		if tc.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := Remove(dir, "run-", 24*time.Hour, nil); n != 2 {
		t.Errorf("Remove(run-) = %d, want 2 (run-killed, run-file)", n)
	}
	for name, want := range map[string]bool{"run-killed": false, "run-file": false, "run-busy": true, "other-old": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("after Remove(run-): %s exists = %v, want %v", name, err == nil, want)
		}
	}
	var removed []string
	n := Remove(dir, "", 24*time.Hour, func(p string) error {
		removed = append(removed, filepath.Base(p))
		return os.RemoveAll(p)
	})
	if n != 1 || len(removed) != 1 || removed[0] != "other-old" {
		t.Errorf("Remove(\"\") = %d, removed %v; want 1, [other-old]", n, removed)
	}
	if n := Remove(filepath.Join(dir, "missing"), "", time.Hour, nil); n != 0 {
		t.Errorf("Remove(missing dir) = %d, want 0", n)
	}
}
