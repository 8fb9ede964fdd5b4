package sdk

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gorootimg/gorootimg/goroot"
)

// Mode is the permission a file in a Go SDK gets from its role, as
// cmd/distpack assigns it (see goroot.ModeOf).
func Mode(name string) fs.FileMode { return goroot.ModeOf(name) }

// normalize makes a freshly extracted tree look the same whatever its
// source: every nested _go.mod (the module zip's name for it) becomes
// go.mod, and files get the modes of their role (Mode). Symlinks are left
// as they are.
func normalize(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 || d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("normalising %s: unexpected file type %v", p, d.Type())
		}
		if d.Name() == "_go.mod" {
			np := filepath.Join(filepath.Dir(p), "go.mod")
			if err := os.Rename(p, np); err != nil {
				return fmt.Errorf("normalising %s: %w", p, err)
			}
			p = np
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if err := os.Chmod(p, Mode(filepath.ToSlash(rel))); err != nil {
			return fmt.Errorf("normalising %s: %w", p, err)
		}
		return nil
	})
}

// makeReadOnly clears the write bits of everything below root (and root).
func makeReadOnly(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if d.IsDir() {
			dirs = append(dirs, p) // after their contents, deepest first below
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(p, info.Mode().Perm()&^0o222)
	})
	if err != nil {
		return fmt.Errorf("making %s read-only: %w", root, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], 0o555); err != nil {
			return fmt.Errorf("making %s read-only: %w", root, err)
		}
	}
	return nil
}

// makeWritable undoes makeReadOnly so that a tree can be removed.
func makeWritable(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

// removeTree removes a tree that may be read-only.
func removeTree(root string) error {
	if err := os.RemoveAll(root); err == nil {
		return nil
	}
	makeWritable(root)
	return os.RemoveAll(root)
}
