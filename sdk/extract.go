package sdk

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// applyTar lays the entries of one tar stream that lie below root (a clean
// relative slash path such as "go" or "usr/local/go") into t. With strict,
// entries outside root are errors (a release archive); otherwise they are
// skipped (an image layer). layerMode enables whiteout handling.
func applyTar(ctx context.Context, t *tree, r io.Reader, root string, strict, layerMode bool) error {
	tr := tar.NewReader(r)
	seen := map[string]bool{} // non-directory entries of a release archive
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		if err := checkName(h.Name); err != nil {
			return err
		}
		name := cleanName(h.Name)
		if layerMode {
			done, err := applyWhiteout(t, h.Name, name, root)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		sub, ok := below(name, root)
		if !ok {
			if strict && !(h.Typeflag == tar.TypeDir && strings.HasPrefix(root, name+"/")) {
				return fmt.Errorf("entry %q is outside %s/", h.Name, root)
			}
			continue
		}
		if strict && h.Typeflag != tar.TypeDir {
			if seen[sub] {
				return fmt.Errorf("entry %q appears twice in the archive", h.Name)
			}
			seen[sub] = true
		}
		if err := applyEntry(t, tr, h, sub, root); err != nil {
			return err
		}
	}
}

// applyWhiteout applies the layer entry raw (clean name name) if it is a
// whiteout or an opaque-directory marker, and reports whether it was one.
// A marker for root or one of its parents applies to the whole tree; one
// elsewhere is ignored.
func applyWhiteout(t *tree, raw, name, root string) (bool, error) {
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	var err error
	switch {
	case base == whiteoutOpaque:
		if sub, ok := below(dir, root); ok {
			err = t.opaque(sub)
		} else if strings.HasPrefix(root, dir+"/") || dir == "" {
			err = t.opaque("")
		}
	case strings.HasPrefix(base, whiteoutPrefix):
		target := path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix))
		if sub, ok := below(target, root); ok {
			err = t.whiteout(sub)
		} else if strings.HasPrefix(root, target+"/") {
			err = t.whiteout("")
		}
	default:
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("applying %q: %w", raw, err)
	}
	return true, nil
}

// applyEntry writes the entry h, at sub below root, into t; a regular
// file's content is read from tr.
func applyEntry(t *tree, tr *tar.Reader, h *tar.Header, sub, root string) error {
	var err error
	switch h.Typeflag {
	case tar.TypeDir:
		err = t.mkdir(h.Name, sub)
	case tar.TypeReg, tar.TypeRegA:
		err = t.file(h.Name, sub, h.FileInfo().Mode(), tr)
	case tar.TypeSymlink:
		err = t.symlink(h.Name, sub, h.Linkname)
	case tar.TypeLink:
		if err := checkName(h.Linkname); err != nil {
			return fmt.Errorf("entry %q is a hard link: %w", h.Name, err)
		}
		lsub, ok := below(cleanName(h.Linkname), root)
		if !ok {
			return fmt.Errorf("entry %q is a hard link to %q, outside the tree", h.Name, h.Linkname)
		}
		err = t.hardlink(h.Name, sub, lsub)
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return fmt.Errorf("entry %q has type %q, which a Go SDK does not contain", h.Name, string(h.Typeflag))
	}
	if err != nil {
		return fmt.Errorf("extracting %q: %w", h.Name, err)
	}
	return nil
}

// below reports whether name is root or lies below it, and returns the
// path relative to root ("" for root itself).
func below(name, root string) (string, bool) {
	if name == root {
		return "", true
	}
	if root == "" {
		return name, true
	}
	if rest, ok := strings.CutPrefix(name, root+"/"); ok {
		return rest, true
	}
	return "", false
}

// ExtractGOROOT writes the directory gorootPath (such as "/usr/local/go") of
// img into dst, applying the image's layers in order with their whiteouts
// and opaque directories. Entries with ".." or absolute names, symlinks
// pointing outside the tree and hard links to files outside it are refused
// with the entry's name. dst must not exist or be empty. The tree is not
// normalised; Resolve does that for image sources.
func ExtractGOROOT(ctx context.Context, img v1.Image, gorootPath string, dst string) error {
	root := cleanName(gorootPath)
	if root == "" {
		return fmt.Errorf("GOROOT path %q: want a directory such as /usr/local/go, not the image root", gorootPath)
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("reading image layers: %w", err)
	}
	t := newTree(dst)
	var compressed int64
	for _, l := range layers {
		if n, err := l.Size(); err == nil {
			compressed += n
		}
	}
	t.limit = sizeLimit(0, compressed)
	if err := t.mkdir(root, ""); err != nil {
		return err
	}
	for i, l := range layers {
		t.nextLayer()
		if err := applyLayer(ctx, t, l, root); err != nil {
			d, _ := l.Digest()
			return fmt.Errorf("layer %d (%s): %w", i+1, d, err)
		}
	}
	if err := t.checkLinks(); err != nil {
		return err
	}
	return nil
}

func applyLayer(ctx context.Context, t *tree, l v1.Layer, root string) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := applyTar(ctx, t, rc, root, false, true); err != nil {
		return err
	}
	// Drain so that a layer whose digest does not match its content is an
	// error: go-containerregistry verifies the digest at EOF.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return err
	}
	return rc.Close()
}
