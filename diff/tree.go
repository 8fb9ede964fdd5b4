package diff

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/goroot"
)

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// scanTree reads a file tree (an SDK with a recipe applied) as if it were
// one uncompressed layer holding the files below root. The tar stream is
// produced only to measure it and to compute its diff ID: it is hashed and
// counted, never stored. Compressed size is unknown (-1): no image is built.
func scanTree(ctx context.Context, files goroot.FileSet, root string) (*layerScan, error) {
	root = cleanName(root)
	cw := &countingWriter{}
	dh := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(cw, dh))
	ls := &layerScan{compressed: -1}
	buf := make([]byte, 128<<10)
	// The parents of root, as a built image carries them.
	if root != "" {
		parts := strings.Split(root, "/")
		for i := range parts {
			dir := strings.Join(parts[:i+1], "/")
			if err := tw.WriteHeader(treeHeader(dir+"/", tar.TypeDir, 0o755, 0, "")); err != nil {
				return nil, err
			}
			ls.entries = append(ls.entries, entry{path: dir, kind: kindDir})
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := path.Join(root, f.Name)
		e := entry{path: name}
		switch {
		case f.Mode.IsDir():
			e.kind = kindDir
			if err := tw.WriteHeader(treeHeader(name+"/", tar.TypeDir, 0o755, 0, "")); err != nil {
				return nil, err
			}
		case f.Mode&os.ModeSymlink != 0:
			e.kind = kindSymlink
			e.link = f.Link
			if err := tw.WriteHeader(treeHeader(name, tar.TypeSymlink, 0o777, 0, f.Link)); err != nil {
				return nil, err
			}
		case f.Mode.IsRegular():
			e.kind = kindFile
			if err := writeTreeFile(tw, f, &e, buf); err != nil {
				return nil, err
			}
			ls.fileBytes += e.size
		default:
			return nil, fmt.Errorf("reading %q: unsupported file type %v", f.Name, f.Mode.Type())
		}
		ls.entries = append(ls.entries, e)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	ls.uncompressed = cw.n
	ls.diffID = fmt.Sprintf("sha256:%x", dh.Sum(nil))
	return ls, nil
}

// writeTreeFile writes the regular file f to tw as e.path, and records its
// size and SHA-256 in e.
func writeTreeFile(tw *tar.Writer, f goroot.File, e *entry, buf []byte) error {
	mode := int64(0o644)
	if f.Mode&0o111 != 0 {
		mode = 0o755
	}
	fh, err := os.Open(f.Src)
	if err != nil {
		return fmt.Errorf("reading %q: %w", f.Name, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("reading %q: %w", f.Name, err)
	}
	if err := tw.WriteHeader(treeHeader(e.path, tar.TypeReg, mode, st.Size(), "")); err != nil {
		return err
	}
	hw := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(tw, hw), fh, buf)
	if err != nil {
		return fmt.Errorf("reading %q: %w", f.Name, err)
	}
	e.size = n
	copy(e.hash[:], hw.Sum(nil))
	return nil
}

func treeHeader(name string, typ byte, mode, size int64, link string) *tar.Header {
	return &tar.Header{
		Name:     name,
		Typeflag: typ,
		Mode:     mode,
		Size:     size,
		Linkname: link,
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatPAX,
	}
}
