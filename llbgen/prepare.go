package llbgen

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gorootimg/gorootimg/prune"
)

// Prepare writes files (the kept GOROOT files, as prune.Apply returns them)
// below dir, which must not exist yet or be empty, so that dir can be passed
// to buildctl as the local context: --local goroot=DIR. Modes are the ones
// gorootimg build gives the files in an image (prune.ModeOf), and every
// modification time is t, so BuildKit's content checksum of the context, and
// with it the build cache key, depends on nothing but the files.
func Prepare(ctx context.Context, dir string, files prune.FileSet, t time.Time) error {
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
			if err := copyFile(dst, f.Src, prune.ModeOf(f.Name)); err != nil {
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

func copyFile(dst, src string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // not subject to the umask
}
