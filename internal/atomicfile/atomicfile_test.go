package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// leftovers lists what is in dir besides the names in keep.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		found := false
		for _, k := range keep {
			found = found || e.Name() == k
		}
		if !found {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatalf("WriteFile(%q) = %v", content, err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Errorf("after WriteFile(%q) the file holds %q, %v", content, b, err)
		}
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
			t.Errorf("mode = %v, want 0640 whatever the umask", fi.Mode().Perm())
		}
	}
	if left := leftovers(t, dir, "f.json"); len(left) > 0 {
		t.Errorf("WriteFile left %v", left)
	}
}

func TestAbortKeepsOldContent(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Create(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.NoSync = noSync
		if _, err := f.WriteString("half of the new"); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != "old" {
			t.Errorf("while writing, %s holds %q, want the old content", p, b)
		}
		f.Abort()
		f.Abort() // a second Abort does nothing
		if b, _ := os.ReadFile(p); string(b) != "old" {
			t.Errorf("after Abort %s holds %q, want %q", p, b, "old")
		}
		if left := leftovers(t, dir, "f"); len(left) > 0 {
			t.Errorf("Abort left %v", left)
		}
		if err := f.Commit(); err == nil {
			t.Error("Commit after Abort = nil, want an error")
		}
	}
}

func TestCommit(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		dir := t.TempDir()
		p := filepath.Join(dir, "blob")
		f, err := Create(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Abort()
		f.NoSync = noSync
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("before Commit Stat(%s) = %v, want not-exist", p, err)
		}
		f.WriteString("content")
		if err := f.Commit(); err != nil {
			t.Fatalf("Commit (NoSync %v) = %v", noSync, err)
		}
		if b, _ := os.ReadFile(p); string(b) != "content" {
			t.Errorf("after Commit %s holds %q", p, b)
		}
		f.Abort() // after Commit: must not remove the file
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Abort after Commit removed the file: %v", err)
		}
		if err := f.Commit(); err == nil {
			t.Error("second Commit = nil, want an error")
		}
		if left := leftovers(t, dir, "blob"); len(left) > 0 {
			t.Errorf("Commit left %v", left)
		}
	}
}

func TestCommitFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	// The destination is a non-empty directory: the rename fails.
	p := filepath.Join(dir, "busy")
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("x")
	if err := f.Commit(); err == nil {
		t.Fatal("Commit onto a non-empty directory = nil, want an error")
	}
	if left := leftovers(t, dir, "busy"); len(left) > 0 {
		t.Errorf("failed Commit left %v", left)
	}
}

func TestCreateInMissingDir(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "f"), 0o644); err == nil {
		t.Error("Create in a missing directory = nil error")
	}
}
