package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one file, directory or symlink to put in a layer.
type Entry struct {
	// Name is the slash path inside the image, without a leading slash
	// ("usr/local/go/bin/go"). Parent directories need not be listed:
	// Write adds them with mode 0755.
	Name string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink) and the
	// permission bits written to the tar header, with the sticky, setgid
	// and setuid bits (fs.ModeSticky, ...) when set.
	Mode fs.FileMode
	// Src is the file whose content is written for a regular file. An
	// empty Src with Size 0 writes an empty file (used for whiteouts).
	Src string
	// Size is the content size of a regular file; the file at Src must
	// still have this size when the layer is written.
	Size int64
	// Link is the target of a symlink.
	Link string
}

// Layer is a finished layer blob on disk and what describes it.
type Layer struct {
	// Path is the compressed blob on disk.
	Path string `json:"-"`
	// Digest and Size describe the compressed blob; DiffID is the sha256
	// of the uncompressed tar and UncompressedSize its length.
	Digest           v1.Hash         `json:"digest"`
	DiffID           v1.Hash         `json:"diffID"`
	Size             int64           `json:"size"`
	UncompressedSize int64           `json:"uncompressedSize"`
	MediaType        types.MediaType `json:"mediaType"`
	// Files counts the regular files and symlinks in the layer.
	Files int `json:"files"`
}

// Write writes the entries as one layer blob at path in a single pass: the
// tar stream is hashed (diffID), compressed, and the compressed bytes are
// hashed (digest) and counted as they go to a temporary file that is
// renamed to path when everything succeeded. Entries are sorted by name and
// every parent directory is written explicitly, owners are 0 with no names,
// and every entry carries the same modification time.
func Write(ctx context.Context, dst string, entries []Entry, opts ...Option) (*Layer, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	list, err := normalise(entries)
	if err != nil {
		return nil, err
	}
	f, err := createTemp(dst, o.sync)
	if err != nil {
		return nil, err
	}
	defer f.abort()

	l := &Layer{Path: dst, MediaType: o.compression.MediaType()}
	bw := bufio.NewWriterSize(f.File, 1<<20)
	digest := sha256.New()
	blob := &countWriter{w: io.MultiWriter(bw, digest)}
	comp, err := o.compression.newWriter(blob)
	if err != nil {
		return nil, err
	}
	diffID := sha256.New()
	raw := &countWriter{w: io.MultiWriter(diffID, comp)}
	tw := tar.NewWriter(raw)
	mtime := o.mtime
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	mtime = mtime.UTC().Truncate(time.Second)

	var done int64
	var files *readAhead
	if o.readAhead > 0 {
		files = newReadAhead(ctx, list, o.readAhead)
		defer files.stop()
	}
	for i, e := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr := header(e, mtime)
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing layer %s: %w", dst, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		l.Files++
		if e.Src == "" {
			continue
		}
		var r io.Reader
		if files != nil {
			r, err = files.get(i)
		} else {
			res := load(e)
			r, err = res.r, res.err
		}
		if err != nil {
			return nil, err
		}
		if br, ok := r.(*bytes.Reader); ok {
			// A small file read whole: one write, no copy through a buffer.
			if int64(br.Len()) != e.Size {
				return nil, fmt.Errorf("reading %q: size changed from %d to %d while writing the layer", e.Src, e.Size, br.Len())
			}
			if _, err := br.WriteTo(tw); err != nil {
				return nil, fmt.Errorf("writing layer %s: %w", dst, err)
			}
			if o.progress != nil {
				done += e.Size
				o.progress(done)
			}
			continue
		}
		n, err := io.CopyN(tw, r, e.Size)
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading %q: size changed from %d to %d while writing the layer", e.Src, e.Size, n)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", e.Src, err)
		}
		if m, _ := r.Read(make([]byte, 1)); m > 0 {
			return nil, fmt.Errorf("reading %q: size changed: more than %d bytes while writing the layer", e.Src, e.Size)
		}
		if o.progress != nil {
			done += n
			o.progress(done)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing layer %s: %w", dst, err)
	}
	if err := comp.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer %s: %w", dst, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing layer %s: %w", dst, err)
	}
	if err := f.commit(); err != nil {
		return nil, err
	}
	l.Digest = sum(digest)
	l.DiffID = sum(diffID)
	l.Size = blob.n
	l.UncompressedSize = raw.n
	return l, nil
}

// tempFile is the blob being written under a temporary name next to its
// destination; commit renames it into place, after fsync when asked.
type tempFile struct {
	*os.File
	dst  string
	sync bool
	done bool
}

func createTemp(dst string, sync bool) (*tempFile, error) {
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating layer %s: %w", dst, err)
	}
	return &tempFile{File: f, dst: dst, sync: sync}, nil
}

func (f *tempFile) commit() error {
	f.done = true
	if f.sync {
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("writing layer %s: %w", f.dst, err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing layer %s: %w", f.dst, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing layer %s: %w", f.dst, err)
	}
	if err := os.Rename(f.Name(), f.dst); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing layer %s: %w", f.dst, err)
	}
	return nil
}

func (f *tempFile) abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// normalise checks the entries, adds missing parent directories and sorts
// them so that every directory precedes its contents.
func normalise(entries []Entry) ([]Entry, error) {
	have := make(map[string]bool, len(entries))
	out := make([]Entry, 0, len(entries)+8)
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name, "/")
		if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("layer entry %q: want a clean relative slash path", e.Name)
		}
		if have[name] {
			return nil, fmt.Errorf("layer entry %q given twice", name)
		}
		switch {
		case e.Mode.IsDir(), e.Mode.IsRegular():
		case e.Mode&fs.ModeSymlink != 0:
			if e.Link == "" {
				return nil, fmt.Errorf("layer entry %q: symlink without a target", name)
			}
		default:
			return nil, fmt.Errorf("layer entry %q: unsupported file type %v", name, e.Mode.Type())
		}
		if e.Mode.IsRegular() && e.Src == "" && e.Size != 0 {
			return nil, fmt.Errorf("layer entry %q: %d bytes but no source file", name, e.Size)
		}
		have[name] = true
		e.Name = name
		out = append(out, e)
	}
	for _, e := range out[:len(out):len(out)] {
		for dir := path.Dir(e.Name); dir != "."; dir = path.Dir(dir) {
			if have[dir] {
				continue
			}
			have[dir] = true
			out = append(out, Entry{Name: dir, Mode: fs.ModeDir | 0o755})
		}
	}
	// Compare path elements so that "a/b" sorts right after "a", before
	// "a.txt" would put a child after a sibling: either order is valid tar,
	// but element-wise order keeps every directory's contents together.
	slices.SortFunc(out, func(a, b Entry) int { return comparePaths(a.Name, b.Name) })
	return out, nil
}

func comparePaths(a, b string) int {
	for {
		ea, ra, _ := strings.Cut(a, "/")
		eb, rb, _ := strings.Cut(b, "/")
		if c := strings.Compare(ea, eb); c != 0 {
			return c
		}
		if ra == "" || rb == "" {
			return strings.Compare(ra, rb)
		}
		a, b = ra, rb
	}
}

func header(e Entry, mtime time.Time) *tar.Header {
	h := &tar.Header{
		Name:    e.Name,
		Mode:    int64(e.Mode.Perm()),
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	// The special bits travel too: /tmp is 1777.
	if e.Mode&fs.ModeSticky != 0 {
		h.Mode |= 0o1000
	}
	if e.Mode&fs.ModeSetgid != 0 {
		h.Mode |= 0o2000
	}
	if e.Mode&fs.ModeSetuid != 0 {
		h.Mode |= 0o4000
	}
	switch {
	case e.Mode.IsDir():
		h.Typeflag = tar.TypeDir
		h.Name += "/"
	case e.Mode&fs.ModeSymlink != 0:
		h.Typeflag = tar.TypeSymlink
		h.Linkname = e.Link
		h.Mode = 0o777
	default:
		h.Typeflag = tar.TypeReg
		h.Size = e.Size
	}
	return h
}

// readAhead opens and reads files ahead of the tar writer on a few
// goroutines, so the writer rarely waits on the disk. Contents arrive in
// entry order whatever order the reads finish in; at most window files are
// loaded but not yet consumed.
type readAhead struct {
	slots []chan result
	sem   chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

type result struct {
	r   io.Reader
	err error
}

func newReadAhead(ctx context.Context, list []Entry, window int) *readAhead {
	if window < 1 {
		window = 1
	}
	ra := &readAhead{slots: make([]chan result, len(list)), sem: make(chan struct{}, window), done: make(chan struct{})}
	for i := range ra.slots {
		ra.slots[i] = make(chan result, 1)
	}
	ra.wg.Add(1)
	go func() {
		defer ra.wg.Done()
		for i, e := range list {
			if !e.Mode.IsRegular() || e.Src == "" {
				continue
			}
			select {
			case ra.sem <- struct{}{}:
			case <-ra.done:
				return
			case <-ctx.Done():
				return
			}
			ra.wg.Add(1)
			go func() {
				defer ra.wg.Done()
				ra.slots[i] <- load(e)
			}()
		}
	}()
	return ra
}

// load reads small files into memory; big ones are opened and streamed.
func load(e Entry) result {
	const small = 4 << 20
	if e.Size <= small {
		b, err := os.ReadFile(e.Src)
		if err != nil {
			return result{err: fmt.Errorf("reading layer content: %w", err)}
		}
		return result{r: bytes.NewReader(b)}
	}
	f, err := os.Open(e.Src)
	if err != nil {
		return result{err: fmt.Errorf("reading layer content: %w", err)}
	}
	return result{r: &closingReader{f: f}}
}

// closingReader closes its file at EOF so streamed files do not leak.
type closingReader struct{ f *os.File }

func (c *closingReader) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil {
		c.f.Close()
	}
	return n, err
}

// get returns entry i's content and lets the next file be read ahead.
func (ra *readAhead) get(i int) (io.Reader, error) {
	r := <-ra.slots[i]
	<-ra.sem
	return r.r, r.err
}

// stop waits for the reader goroutines and closes any file not consumed.
func (ra *readAhead) stop() {
	close(ra.done)
	ra.wg.Wait()
	for _, s := range ra.slots {
		select {
		case r := <-s:
			if c, ok := r.r.(*closingReader); ok {
				c.f.Close()
			}
		default:
		}
	}
}
