package publish

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
)

// DefaultTarballRef is the reference a tarball's image is tagged with when
// none is given.
const DefaultTarballRef = "gorootimg/go:latest"

// Tarball publishes the one image of a result as a "docker load" tarball.
// A tarball has no place for referrers: each is written next to it, as
// FILE + Referrer.FileSuffix ("img.tar.spdx.json").
type Tarball struct {
	file string
	tag  name.Tag
	o    options
}

// NewTarball returns the publisher of the tarball file, whose image is
// tagged ref ("gorootimg/go:1.22"; DefaultTarballRef when empty).
func NewTarball(file, ref string, opts ...Option) (*Tarball, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if ref == "" {
		ref = DefaultTarballRef
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, fmt.Errorf("writing tarball %q: tag %q: %w", file, ref, err)
	}
	return &Tarball{file: file, tag: tag, o: o}, nil
}

// Check does nothing: a tarball can be written wherever a file can.
func (t *Tarball) Check(context.Context) error { return nil }

// Publish writes res's image, which must be its only one, through a
// temporary file renamed into place at the end, then its referrers.
func (t *Tarball) Publish(ctx context.Context, res *assemble.Result) error {
	if len(res.Images) != 1 {
		return fmt.Errorf("writing tarball %q: it holds one image and the build made %d", t.file, len(res.Images))
	}
	pi := res.Images[0]
	f, err := atomicfile.Create(t.file, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := tarball.Write(t.tag, pi.Image, &ctxWriter{ctx: ctx, w: f}); err != nil {
		return fmt.Errorf("writing tarball %q: %w", t.file, err)
	}
	if err := f.Commit(); err != nil {
		return err
	}
	t.o.logf("wrote tarball %s", t.file)
	for _, r := range pi.Referrers {
		p := t.file + r.FileSuffix
		if err := atomicfile.WriteFile(p, r.Data, 0o644); err != nil {
			return err
		}
		t.o.logf("wrote %s for %s to %s", r.Kind, imageref.FormatPlatform(pi.Platform), p)
	}
	return nil
}

// ctxWriter stops a long write when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
