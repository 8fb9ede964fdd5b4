package rootfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Whiteout markers of the OCI image layer spec.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// Info is what the layer needs to know about one path of a base image.
type Info struct {
	// Mode holds the type bits and the permission bits of the tar header.
	Mode fs.FileMode
	// UID and GID are the owner's ids.
	UID, GID int
}

// Paths is the set of paths in an image's file system after every layer
// is applied: slash paths without a leading slash ("etc/passwd"), parent
// directories a layer does not list included (as root's, 0755, the way an
// engine creates them). The zero value is the empty file system of scratch.
type Paths struct {
	m map[string]Info
}

// Lookup returns what the image has at name ("etc/passwd").
func (p Paths) Lookup(name string) (Info, bool) {
	i, ok := p.m[name]
	return i, ok
}

// Len is the number of paths.
func (p Paths) Len() int { return len(p.m) }

// hasUnder reports whether any path lies below the directory dir.
func (p Paths) hasUnder(dir string) bool {
	for name := range p.m {
		if strings.HasPrefix(name, dir+"/") {
			return true
		}
	}
	return false
}

// ImagePaths lists the paths of img's file system: its layers are read in
// order, each layer's whiteouts (".wh.NAME" and the opaque ".wh..wh..opq")
// hiding what the layers below it hold, as an engine would apply them. It
// reads only tar headers, but every layer is decompressed once.
func ImagePaths(img v1.Image) (Paths, error) {
	ls, err := img.Layers()
	if err != nil {
		return Paths{}, fmt.Errorf("listing base image layers: %w", err)
	}
	p := Paths{m: map[string]Info{}}
	for i, l := range ls {
		if err := p.apply(l); err != nil {
			return Paths{}, fmt.Errorf("reading base image layer %d: %w", i+1, err)
		}
	}
	return p, nil
}

// apply adds one layer's entries to p, after removing what its whiteouts
// hide in the layers below.
func (p Paths) apply(l v1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	var (
		hide  []string // whiteouts: the path and all below it
		opq   []string // opaque directories: all below them
		added = map[string]Info{}
	)
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := cleanName(h.Name)
		if name == "" {
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == opaqueWhiteout:
			opq = append(opq, dir)
		case strings.HasPrefix(base, whiteoutPrefix):
			hide = append(hide, path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)))
		default:
			added[name] = Info{Mode: headerMode(h), UID: h.Uid, GID: h.Gid}
		}
	}
	for _, d := range opq {
		p.removeBelow(d)
	}
	for _, n := range hide {
		delete(p.m, n)
		p.removeBelow(n)
	}
	for name, i := range added {
		if old, ok := p.m[name]; ok && old.Mode.IsDir() && !i.Mode.IsDir() {
			p.removeBelow(name) // a file in place of a directory hides its contents
		}
		p.m[name] = i
		// An engine creates the parents a layer does not list.
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, ok := p.m[d]; !ok {
				p.m[d] = Info{Mode: fs.ModeDir | 0o755}
			}
		}
	}
	return nil
}

func (p Paths) removeBelow(dir string) {
	if dir == "" {
		clear(p.m)
		return
	}
	for name := range p.m {
		if strings.HasPrefix(name, dir+"/") {
			delete(p.m, name)
		}
	}
}

// cleanName turns a tar name ("./etc/", "/etc") into "etc"; "" for the root.
func cleanName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}

func headerMode(h *tar.Header) fs.FileMode {
	m := fs.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	case tar.TypeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case tar.TypeBlock:
		m |= fs.ModeDevice
	case tar.TypeFifo:
		m |= fs.ModeNamedPipe
	}
	if h.Mode&04000 != 0 {
		m |= fs.ModeSetuid
	}
	if h.Mode&02000 != 0 {
		m |= fs.ModeSetgid
	}
	if h.Mode&01000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
