package prune

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/recipes"
)

// Prepare is what every command does with a recipe: it resolves r against
// the GOROOT t and applies the plan, writing transformed files (stripped
// binaries) below workDir, which it creates when missing and the caller
// removes once the files are used. It returns the plan and the files to
// lay into an image. A nil r keeps the whole tree unchanged: the plan's
// All and Kept are then the tree's scan and nothing is written.
func Prepare(ctx context.Context, t goroot.Tree, r *recipes.Recipe, workDir string) (*Plan, goroot.FileSet, error) {
	if r == nil {
		all, err := goroot.Scan(t.Dir)
		if err != nil {
			return nil, nil, err
		}
		return &Plan{Target: t, All: all, Kept: all, Stripped: map[string]int64{}}, all, nil
	}
	plan, err := Resolve(ctx, t, r)
	if err != nil {
		return nil, nil, fmt.Errorf("applying recipe %q to %s: %w", r.Name, t.Dir, err)
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("applying recipe %q to %s: %w", r.Name, t.Dir, err)
	}
	files, err := Apply(ctx, plan, workDir)
	if err != nil {
		return nil, nil, fmt.Errorf("applying recipe %q to %s: %w", r.Name, t.Dir, err)
	}
	return plan, files, nil
}

// Apply turns a plan into the files to lay into an image: Kept, with any
// transformed content (stripped binaries) written below workDir and Src
// pointing at it. The SDK tree itself is never modified.
func Apply(ctx context.Context, p *Plan, workDir string) (goroot.FileSet, error) {
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
func Materialize(ctx context.Context, files goroot.FileSet, dst string) error {
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
				err = f.CopyTo(p, f.Mode.Perm())
			}
		}
		if err != nil {
			return fmt.Errorf("materializing %s: %w", f.Name, err)
		}
	}
	return nil
}
