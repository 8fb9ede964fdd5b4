package diff

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// kind is the type of a file in a layer or in the final view.
type kind byte

const (
	kindFile kind = iota
	kindDir
	kindSymlink
	kindHardlink
	kindOther // devices, fifos: listed but never hashed
)

func (k kind) String() string {
	switch k {
	case kindFile:
		return "file"
	case kindDir:
		return "dir"
	case kindSymlink:
		return "symlink"
	case kindHardlink:
		return "hardlink"
	}
	return "other"
}

// entry is one path as a layer stores it. Only metadata and a content
// hash are kept: contents are streamed and never held in memory.
type entry struct {
	path string
	kind kind
	size int64 // content bytes stored in the layer (0 for all but files)
	hash [sha256.Size]byte
	link string
	// whiteout marks ".wh.NAME" (path is NAME); opaque marks
	// ".wh..wh..opq" (path is the directory).
	whiteout, opaque bool
}

// layerScan is what reading one layer once yields.
type layerScan struct {
	digest       string // compressed digest, "" for a file tree
	diffID       string
	compressed   int64 // -1 when unknown (a file tree)
	uncompressed int64 // bytes of the uncompressed tar stream
	fileBytes    int64 // content bytes of the regular files in the layer
	entries      []entry
}

// cleanName turns a tar entry name into a slash path without a leading
// "/" or "./"; "" means the root itself.
func cleanName(name string) string {
	name = path.Clean("/" + name)
	return strings.TrimPrefix(name, "/")
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scanTar reads a tar stream to its end, hashing each regular file as it
// streams past.
func scanTar(ctx context.Context, r io.Reader) (*layerScan, error) {
	cr := &countingReader{r: r}
	tr := tar.NewReader(cr)
	ls := &layerScan{compressed: -1}
	hashes := map[string][sha256.Size]byte{} // for hard links within the layer
	buf := make([]byte, 128<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar header: %w", err)
		}
		name := cleanName(h.Name)
		if name == "" {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if base == ".wh..wh..opq" {
			ls.entries = append(ls.entries, entry{path: dir, opaque: true})
			continue
		}
		if w, ok := strings.CutPrefix(base, ".wh."); ok {
			ls.entries = append(ls.entries, entry{path: path.Join(dir, w), whiteout: true})
			continue
		}
		e := entry{path: name}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			e.kind = kindFile
			hw := sha256.New()
			n, err := io.CopyBuffer(hw, tr, buf)
			if err != nil {
				return nil, fmt.Errorf("reading %q: %w", h.Name, err)
			}
			e.size = n
			copy(e.hash[:], hw.Sum(nil))
			hashes[name] = e.hash
			ls.fileBytes += n
		case tar.TypeDir:
			e.kind = kindDir
		case tar.TypeSymlink:
			e.kind = kindSymlink
			e.link = h.Linkname
		case tar.TypeLink:
			e.kind = kindHardlink
			e.link = cleanName(h.Linkname)
			e.hash = hashes[e.link]
		default:
			e.kind = kindOther
		}
		ls.entries = append(ls.entries, e)
	}
	// Count the end-of-archive blocks and padding too.
	if _, err := io.CopyBuffer(io.Discard, cr, buf); err != nil {
		return nil, fmt.Errorf("reading tar trailer: %w", err)
	}
	ls.uncompressed = cr.n
	return ls, nil
}

// scanLayer streams one image layer once.
func scanLayer(ctx context.Context, l v1.Layer) (*layerScan, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading layer digest: %w", err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", d, err)
	}
	defer rc.Close()
	ls, err := scanTar(ctx, rc)
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", d, err)
	}
	if err := rc.Close(); err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", d, err)
	}
	ls.digest = d.String()
	if id, err := l.DiffID(); err == nil {
		ls.diffID = id.String()
	}
	if ls.compressed, err = l.Size(); err != nil {
		return nil, fmt.Errorf("reading size of layer %s: %w", d, err)
	}
	return ls, nil
}

// view is the final file system of a stack of layers, whiteouts applied.
type view struct {
	files map[string]entry
	// shadowed counts file bytes stored in some layer but hidden in the
	// final view by a later layer or a whiteout.
	shadowed int64
}

func newView() *view { return &view{files: map[string]entry{}} }

// remove deletes p and, when p is (or may be) a directory, everything below it.
func (v *view) remove(p string, self bool) {
	e, ok := v.files[p]
	if self && ok {
		v.shadowed += e.size
		delete(v.files, p)
	}
	if ok && e.kind != kindDir {
		return
	}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	for name, c := range v.files {
		if strings.HasPrefix(name, prefix) {
			v.shadowed += c.size
			delete(v.files, name)
		}
	}
}

// apply lays one layer over the view. Whiteouts hide only what lower
// layers hold, so they are applied before the layer's own entries.
func (v *view) apply(ls *layerScan) {
	for _, e := range ls.entries {
		switch {
		case e.opaque:
			v.remove(e.path, false)
		case e.whiteout:
			v.remove(e.path, true)
		}
	}
	for _, e := range ls.entries {
		if e.opaque || e.whiteout {
			continue
		}
		if old, ok := v.files[e.path]; ok {
			v.shadowed += old.size
			if old.kind == kindDir && e.kind != kindDir {
				v.remove(e.path, false)
			}
		}
		if e.kind == kindHardlink && e.hash == ([sha256.Size]byte{}) {
			if t, ok := v.files[e.link]; ok {
				e.hash = t.hash
			}
		}
		v.files[e.path] = e
	}
}
