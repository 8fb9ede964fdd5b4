package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
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
	// ModTime, when set, is this entry's modification time instead of the
	// layer's (WithMTime); see entryTime.
	ModTime time.Time
	// UID and GID, when set, are the entry's owner; 0 (root) otherwise.
	// The owner names stay empty, so a zero owner writes the same header
	// as before owners existed. A layer that writes a base's directory
	// again sets them to keep the base's owner.
	UID, GID int
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
	// Digests lists the regular files and symlinks in tar order, when
	// Write was asked for them (WithFileDigests); HasDigests says so (a
	// layer of directories alone has none).
	Digests    []FileDigest `json:"digests,omitempty"`
	HasDigests bool         `json:"hasDigests,omitempty"`
}

// FileDigest is one file of a layer as Write put it in the tar stream.
type FileDigest struct {
	// Name is the entry's name ("usr/local/go/bin/go").
	Name string `json:"name"`
	// Link is a symlink's target; its digests are then empty.
	Link string `json:"link,omitempty"`
	// SHA1 and SHA256 are the hex digests of a regular file's content.
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Write writes the entries as one layer blob at path in a single pass: the
// tar stream is hashed (diffID), compressed, and the compressed bytes are
// hashed (digest) and counted as they go to a temporary file that is
// renamed to path when everything succeeded. Entries are sorted by name and
// every parent directory is written explicitly, owners are 0 with no names,
// and every entry carries the same modification time. With WithFileDigests
// each regular file's content is hashed in the same pass (Layer.Digests).
func Write(ctx context.Context, dst string, entries []Entry, opts ...Option) (*Layer, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	list, err := normalise(entries)
	if err != nil {
		return nil, err
	}
	if o.windows {
		if list, err = windowsEntries(list); err != nil {
			return nil, err
		}
	}
	f, err := atomicfile.Create(dst, 0o644)
	if err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	defer f.Abort()
	f.NoSync = !o.sync

	l := &Layer{Path: dst, MediaType: o.compression.MediaType()}
	bw := bufio.NewWriterSize(f.File, 1<<20)
	digest := sha256.New()
	blob := &countWriter{w: io.MultiWriter(bw, digest)}
	comp, err := o.compression.newLevelWriter(blob, o.level, tarSize(list))
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

	if err := writeEntries(ctx, tw, dst, list, l, mtime, o); err != nil {
		return nil, err
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
	if err := f.Commit(); err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	l.Digest = sum(digest)
	l.DiffID = sum(diffID)
	l.Size = blob.n
	l.UncompressedSize = raw.n
	return l, nil
}

// writeEntries writes the sorted entries to tw, counting the files of l
// and, with o.digests, listing their digests in it.
func writeEntries(ctx context.Context, tw *tar.Writer, dst string, list []Entry, l *Layer, mtime time.Time, o *options) error {
	var done int64
	var files *readAhead
	if o.readAhead > 0 {
		files = newReadAhead(ctx, list, o.readAhead)
		defer files.stop()
	}
	var fd *fileDigester
	if o.digests {
		fd = &fileDigester{sha1: sha1.New(), sha256: sha256.New()}
		l.HasDigests = true
	}
	for i, e := range list {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr := header(e, mtime)
		if o.windows {
			windowsHeader(hdr)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing layer %s: %w", dst, err)
		}
		if fd != nil && hdr.Typeflag == tar.TypeSymlink {
			l.Digests = append(l.Digests, FileDigest{Name: e.Name, Link: e.Link})
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		l.Files++
		w := io.Writer(tw)
		if fd != nil {
			w = fd.start(tw)
		}
		err := copyContent(w, dst, e, i, files)
		if fd != nil {
			l.Digests = append(l.Digests, fd.finish(e.Name))
		}
		if err != nil {
			return err
		}
		if o.progress != nil && e.Src != "" {
			done += e.Size
			o.progress(done)
		}
	}
	return nil
}

// copyContent writes entry i's content to w: read whole for a small
// file, streamed for a big one, and checked against the size the header
// promised. An entry without Src has no content.
func copyContent(w io.Writer, dst string, e Entry, i int, files *readAhead) error {
	if e.Src == "" {
		return nil
	}
	var r io.Reader
	var err error
	if files != nil {
		r, err = files.get(i)
	} else {
		res := load(e)
		r, err = res.r, res.err
	}
	if err != nil {
		return err
	}
	if br, ok := r.(*bytes.Reader); ok {
		// A small file read whole: one write, no copy through a buffer.
		if int64(br.Len()) != e.Size {
			return fmt.Errorf("reading %q: size changed from %d to %d while writing the layer", e.Src, e.Size, br.Len())
		}
		if _, err := br.WriteTo(w); err != nil {
			return fmt.Errorf("writing layer %s: %w", dst, err)
		}
		return nil
	}
	n, err := io.CopyN(w, r, e.Size)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("reading %q: size changed from %d to %d while writing the layer", e.Src, e.Size, n)
	}
	if err != nil {
		return fmt.Errorf("reading %q: %w", e.Src, err)
	}
	if m, _ := r.Read(make([]byte, 1)); m > 0 {
		return fmt.Errorf("reading %q: size changed: more than %d bytes while writing the layer", e.Src, e.Size)
	}
	return nil
}

// fileDigester hashes one regular file's content on its way to the tar
// stream.
type fileDigester struct {
	sha1, sha256 hash.Hash
}

func (d *fileDigester) start(w io.Writer) io.Writer {
	d.sha1.Reset()
	d.sha256.Reset()
	return io.MultiWriter(w, d.sha1, d.sha256)
}

func (d *fileDigester) finish(name string) FileDigest {
	return FileDigest{Name: name, SHA1: hex.EncodeToString(d.sha1.Sum(nil)), SHA256: hex.EncodeToString(d.sha256.Sum(nil))}
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
		if err := checkEntryTime(e); err != nil {
			return nil, err
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
	sortEntries(out)
	return out, nil
}

// sortEntries sorts entries by path element, so that every directory
// precedes its contents.
func sortEntries(out []Entry) {
	slices.SortFunc(out, func(a, b Entry) int { return comparePaths(a.Name, b.Name) })
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
		Mode:    int64(goroot.UnixMode(e.Mode)),
		ModTime: entryTime(e, mtime),
		Uid:     e.UID,
		Gid:     e.GID,
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
