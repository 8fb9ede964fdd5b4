package sandbox

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// ExtractImage unpacks the whole file system of img (its layers flattened,
// whiteouts applied) into dst, which must exist and be empty. All writes go
// through an os.Root, so no entry — "..", an absolute symlink followed by a
// file, a hard link — can write outside dst. Device nodes, fifos and
// sockets are skipped; ownership is not kept (the probes run as root).
func ExtractImage(ctx context.Context, img v1.Image, dst string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	return Untar(ctx, rc, dst)
}

// dirMode is a directory's mode and time, set after its contents.
type dirMode struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

// Untar writes a flattened tar stream (whiteouts already applied) below
// dst through an os.Root, as ExtractImage does.
func Untar(ctx context.Context, r io.Reader, dst string) error {
	root, err := os.OpenRoot(dst)
	if err != nil {
		return fmt.Errorf("opening %q: %w", dst, err)
	}
	defer root.Close()
	tr := tar.NewReader(r)
	var dirs []dirMode
	buf := make([]byte, 128<<10)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading image file system: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("extracting %q: %w", h.Name, err)
			}
		}
		if h.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirMode{name, h.FileInfo().Mode().Perm(), h.ModTime})
		}
		if err := untarEntry(root, tr, h, name, buf); err != nil {
			return err
		}
	}
	// Directory modes and times last, so a read-only directory does not
	// stop its own extraction and its contents do not move its time.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chmod(dirs[i].name, dirs[i].mode|0o700); err != nil {
			return fmt.Errorf("extracting %q: %w", dirs[i].name, err)
		}
		if err := root.Chtimes(dirs[i].name, dirs[i].mtime, dirs[i].mtime); err != nil {
			return fmt.Errorf("extracting %q: %w", dirs[i].name, err)
		}
	}
	return nil
}

// untarEntry writes the entry h (name cleaned, its parent made) below root;
// a directory gets mode 0755 until Untar sets its own.
func untarEntry(root *os.Root, tr *tar.Reader, h *tar.Header, name string, buf []byte) error {
	switch h.Typeflag {
	case tar.TypeDir:
		if err := root.MkdirAll(name, 0o755); err != nil {
			return fmt.Errorf("extracting %q: %w", h.Name, err)
		}
	case tar.TypeReg, tar.TypeRegA:
		if err := untarFile(root, tr, h, name, buf); err != nil {
			return fmt.Errorf("extracting %q: %w", h.Name, err)
		}
	case tar.TypeSymlink:
		root.Remove(name)
		if err := root.Symlink(h.Linkname, name); err != nil {
			return fmt.Errorf("extracting %q: %w", h.Name, err)
		}
	case tar.TypeLink:
		target := strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
		root.Remove(name)
		if err := root.Link(target, name); err != nil {
			return fmt.Errorf("extracting %q (hard link to %q): %w", h.Name, h.Linkname, err)
		}
	default:
		// Devices, fifos: the sandbox provides its own /dev.
	}
	return nil
}

// untarFile writes the regular file h from tr to name below root, with its
// permission bits and time.
func untarFile(root *os.Root, tr *tar.Reader, h *tar.Header, name string, buf []byte) error {
	root.Remove(name)
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(f, tr, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	mode := h.FileInfo().Mode()
	if err := root.Chmod(name, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return root.Chtimes(name, h.ModTime, h.ModTime)
}

// PrepareRoot adds what the sandbox mounts over and what a go command
// needs: /proc, /dev with empty files to bind the host's devices onto, and
// a world-writable /tmp. It keeps what is already there.
func PrepareRoot(dst string) error {
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, d := range []string{"proc", "dev", "tmp"} {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("preparing sandbox: %w", err)
		}
	}
	if err := root.Chmod("tmp", 0o777|fs.ModeSticky); err != nil {
		return fmt.Errorf("preparing sandbox: %w", err)
	}
	for _, dev := range Devices {
		name := "dev/" + dev
		if fi, err := root.Lstat(name); err == nil && fi.Mode().IsRegular() {
			continue
		}
		root.Remove(name)
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			return fmt.Errorf("preparing sandbox: %w", err)
		}
		f.Close()
	}
	return nil
}

// Devices are bound from the host's /dev into the sandbox.
var Devices = []string{"null", "zero", "random", "urandom"}
