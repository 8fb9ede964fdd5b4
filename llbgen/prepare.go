package llbgen

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gorootimg/gorootimg/goroot"
)

// Prepare writes files (the kept GOROOT files, as prune.Prepare returns them)
// below dir, which must not exist yet or be empty, so that dir can be passed
// to buildctl as the local context: --local goroot=DIR. Modes are the ones
// gorootimg build gives the files in an image (goroot.ModeOf), and every
// modification time is t, so BuildKit's content checksum of the context, and
// with it the build cache key, depends on nothing but the files.
func Prepare(ctx context.Context, dir string, files goroot.FileSet, t time.Time) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("preparing %q: directory is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("preparing %q: %w", dir, err)
	}
	var dirs []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("preparing %q: %w", f.Name, err)
		}
		switch {
		case f.Mode.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("preparing %q: %w", f.Name, err)
			}
			dirs = append(dirs, dst)
		case f.Mode&fs.ModeSymlink != 0:
			if err := os.Symlink(f.Link, dst); err != nil {
				return fmt.Errorf("preparing %q: %w", f.Name, err)
			}
			if err := lchtimes(dst, t); err != nil {
				return fmt.Errorf("preparing %q: %w", f.Name, err)
			}
		case f.Mode.IsRegular():
			if err := f.CopyTo(dst, goroot.ModeOf(f.Name)); err != nil {
				return fmt.Errorf("preparing %q: %w", f.Name, err)
			}
			if err := os.Chtimes(dst, t, t); err != nil {
				return fmt.Errorf("preparing %q: %w", f.Name, err)
			}
		default:
			return fmt.Errorf("preparing %q: unsupported file type %v", f.Name, f.Mode.Type())
		}
	}
	// Directories last (deepest first), after their contents changed them;
	// parents created implicitly get the same treatment through the walk.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("preparing %q: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], 0o755); err != nil {
			return fmt.Errorf("preparing %q: %w", dirs[i], err)
		}
		if err := os.Chtimes(dirs[i], t, t); err != nil {
			return fmt.Errorf("preparing %q: %w", dirs[i], err)
		}
	}
	return nil
}
