package publish

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// The blobs of a layout are written by go-containerregistry's layout
// package, with two concerns of our own around it: layers that already
// are files (the build cache's blobs) are hard-linked instead of copied,
// and a blob left short by an interrupted write is removed first so that
// the layout package, which keeps any blob of unknown size it finds,
// writes it again.

// writeIndexBlobs writes every blob of idx and its images below dir/blobs.
func writeIndexBlobs(ctx context.Context, dir string, idx v1.ImageIndex) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		if err := writeImageBlobs(ctx, dir, img); err != nil {
			return err
		}
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	return putBlob(ctx, dir, d, raw)
}

// writeImageBlobs writes img's layers, config and manifest below dir/blobs.
func writeImageBlobs(ctx context.Context, dir string, img v1.Image) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := linkLayer(ctx, dir, l); err != nil {
			return err
		}
	}
	for _, blob := range []func() (v1.Hash, []byte, error){
		func() (v1.Hash, []byte, error) { return pair(img.ConfigName, img.RawConfigFile) },
		func() (v1.Hash, []byte, error) { return pair(img.Digest, img.RawManifest) },
	} {
		d, b, err := blob()
		if err != nil {
			return err
		}
		removeShort(dir, d, int64(len(b)))
	}
	// Layers not linked are copied, each through a temporary file.
	return layout.Path(dir).WriteImage(ctxImage{Image: img, ctx: ctx})
}

func pair(name func() (v1.Hash, error), raw func() ([]byte, error)) (v1.Hash, []byte, error) {
	d, err := name()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	b, err := raw()
	return d, b, err
}

// putBlob writes b as the blob d unless dir has it whole.
func putBlob(ctx context.Context, dir string, d v1.Hash, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	removeShort(dir, d, int64(len(b)))
	return layout.Path(dir).WriteBlob(d, io.NopCloser(bytes.NewReader(b)))
}

func blobFile(dir string, d v1.Hash) string { return filepath.Join(dir, "blobs", d.Algorithm, d.Hex) }

// removeShort removes the blob d when it is there with a size other than
// size (an interrupted write).
func removeShort(dir string, d v1.Hash, size int64) {
	p := blobFile(dir, d)
	if fi, err := os.Stat(p); err == nil && fi.Size() != size {
		os.Remove(p)
	}
}

// linkLayer hard-links a layer's blob from the build cache when it has a
// file there (no copy at all on one file system). Other layers, and any
// link that fails, are left to the layout package's copy.
func linkLayer(ctx context.Context, dir string, l v1.Layer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	src, ok := localBlob(l)
	if !ok {
		return nil
	}
	d, err := l.Digest()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	p := blobFile(dir, d)
	if fi, err := os.Stat(p); err == nil && fi.Size() == size {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".link-tmp"
	os.Remove(tmp)
	if os.Link(src, tmp) == nil {
		return os.Rename(tmp, p)
	}
	return nil
}

// localBlob returns the file holding l's compressed blob, if l says
// (layers.Layer.V1 does).
func localBlob(l v1.Layer) (string, bool) {
	if f, ok := l.(interface{ BlobPath() string }); ok {
		return f.BlobPath(), true
	}
	return "", false
}

// ctxImage is an image whose layers stop being read when ctx is done, so
// a long copy can be interrupted.
type ctxImage struct {
	v1.Image
	ctx context.Context
}

func (c ctxImage) Layers() ([]v1.Layer, error) {
	ls, err := c.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = ctxLayer{Layer: l, ctx: c.ctx}
	}
	return out, nil
}

type ctxLayer struct {
	v1.Layer
	ctx context.Context
}

func (c ctxLayer) Compressed() (io.ReadCloser, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := c.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return ctxReader{ReadCloser: rc, ctx: c.ctx}, nil
}

type ctxReader struct {
	io.ReadCloser
	ctx context.Context
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.ReadCloser.Read(p)
}
