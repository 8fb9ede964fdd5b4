package prune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Apply turns a plan into the files to lay into an image: Kept, with any
// transformed content (stripped binaries) written below workDir and Src
// pointing at it. The SDK tree itself is never modified.
func Apply(ctx context.Context, p *Plan, workDir string) (FileSet, error) {
	out := p.Kept.Clone()
	for i := range out {
		f := &out[i]
		if _, ok := p.Stripped[f.Name]; !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := stripFile(f.Src)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, fmt.Errorf("applying plan: %s is no longer strippable", f.Src)
		}
		dst := filepath.Join(workDir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("applying plan: %w", err)
		}
		if err := os.WriteFile(dst, b, f.Mode.Perm()|0o200); err != nil {
			return nil, fmt.Errorf("applying plan: %w", err)
		}
		if err := os.Chmod(dst, f.Mode.Perm()); err != nil {
			return nil, fmt.Errorf("applying plan: %w", err)
		}
		f.Src, f.Size = dst, int64(len(b))
	}
	return out, nil
}

// Materialize lays a file set out as a directory tree at dst (which must
// not exist or be empty): directories are created, regular files are
// hard-linked to their Src when possible and copied otherwise, symlinks are
// recreated. Hard links share the SDK's inodes, so dst must be treated as
// read-only, like the SDK cache.
func Materialize(ctx context.Context, files FileSet, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("materializing %s: %w", dst, err)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dst, filepath.FromSlash(f.Name))
		var err error
		switch {
		case f.IsDir():
			err = os.MkdirAll(p, 0o755)
		case f.Mode&os.ModeSymlink != 0:
			err = os.Symlink(f.Link, p)
		default:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				break
			}
			if err = os.Link(f.Src, p); err != nil && (errors.Is(err, syscall.EXDEV) || errors.Is(err, os.ErrPermission)) {
				err = copyFile(f.Src, p, f.Mode.Perm())
			}
		}
		if err != nil {
			return fmt.Errorf("materializing %s: %w", f.Name, err)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
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
	return out.Close()
}
