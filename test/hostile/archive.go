package hostile

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Release, GOOS and GOARCH name the fake SDK every input pretends to be.
const (
	Release = "go1.22.12"
	GOOS    = "linux"
	GOARCH  = "amd64"
)

// ModulePath and ModuleVersion are the toolchain module the fake SDK
// pretends to be when served by a fake module proxy.
const (
	ModulePath    = "golang.org/toolchain"
	ModuleVersion = "v0.0.1-" + Release + "." + GOOS + "-" + GOARCH
)

// Entry is one archive member. Names are as written into the archive,
// relative to the archive root ("go/bin/go" in a release tarball).
type Entry struct {
	Name     string
	Type     byte // tar type flag; 0 = regular file
	Mode     int64
	Body     []byte
	Linkname string
	// Size overrides the header size of a regular file (for bombs that
	// stream zeros); 0 = len(Body).
	Size int64
	// Major and Minor are device numbers.
	Major, Minor int64
	// Raw, when set, is written into the tar stream as it is instead of
	// an entry built from the fields above (see SparseBomb).
	Raw []byte
}

// versionFile is a VERSION file naming release.
func versionFile(release string) []byte {
	return []byte(release + "\ntime 2025-02-04T20:56:49Z\n")
}

// sdkEntries is a minimal tree that looks like a Go SDK for GOOS/GOARCH
// and says it is release, under prefix ("go/").
func sdkEntries(prefix, release string) []Entry {
	gomod := "src/go.mod"
	if prefix == ZipPrefix {
		gomod = "src/_go.mod" // module zips rename nested go.mod files, as cmd/distpack does
	}
	tool := "pkg/tool/" + GOOS + "_" + GOARCH + "/"
	sh := []byte("#!/bin/sh\necho fake\n")
	return []Entry{
		{Name: prefix + "VERSION", Mode: 0o644, Body: versionFile(release)},
		{Name: prefix + "go.env", Mode: 0o644, Body: []byte("GOPROXY=off\nGOTOOLCHAIN=local\n")},
		{Name: prefix + "bin/go", Mode: 0o755, Body: sh},
		{Name: prefix + "bin/gofmt", Mode: 0o755, Body: sh},
		{Name: prefix + tool + "compile", Mode: 0o755, Body: sh},
		{Name: prefix + tool + "link", Mode: 0o755, Body: sh},
		{Name: prefix + "src/fmt/print.go", Mode: 0o644, Body: []byte("package fmt\n")},
		{Name: prefix + gomod, Mode: 0o644, Body: []byte("module std\n\ngo 1.22\n")},
	}
}

// withDirs adds the parent directories of every entry, before it, as
// release archives have them.
func withDirs(es []Entry) []Entry {
	seen := map[string]bool{}
	for _, e := range es {
		// A parent that is an entry itself (a symlink) gets no directory.
		seen[strings.TrimSuffix(strings.TrimPrefix(e.Name, "/"), "/")+"/"] = true
	}
	var out []Entry
	for _, e := range es {
		if strings.HasPrefix(e.Name, "/") {
			out = append(out, e) // no parents for an absolute name: the entry itself is the test
			continue
		}
		parts := strings.Split(e.Name, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if strings.Contains(d, "..") || seen[d] {
				continue
			}
			seen[d] = true
			out = append(out, Entry{Name: d, Type: tar.TypeDir, Mode: 0o755})
		}
		out = append(out, e)
	}
	return out
}

// zeroReader yields n zero bytes without holding them in memory.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// WriteTarGz writes entries as a gzip-compressed tar to file.
func WriteTarGz(file string, entries []Entry) error {
	var b bytes.Buffer
	if err := writeTar(&b, entries, true); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}

// TarBytes returns entries as an uncompressed tar, or gzip-compressed.
func TarBytes(entries []Entry, gz bool) ([]byte, error) {
	var b bytes.Buffer
	err := writeTar(&b, entries, gz)
	return b.Bytes(), err
}

func writeTar(w io.Writer, entries []Entry, gz bool) error {
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(w)
		w = zw
	}
	tw := tar.NewWriter(w)
	mtime := time.Date(2025, 2, 4, 20, 56, 49, 0, time.UTC)
	for _, e := range entries {
		if e.Raw != nil {
			if err := tw.Flush(); err != nil {
				return err
			}
			if _, err := w.Write(e.Raw); err != nil {
				return err
			}
			continue
		}
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{
			Name: e.Name, Typeflag: typ, Mode: e.Mode, Linkname: e.Linkname,
			ModTime: mtime, Devmajor: e.Major, Devminor: e.Minor, Format: tar.FormatPAX,
		}
		var body io.Reader
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Body))
			body = bytes.NewReader(e.Body)
			if e.Size > 0 {
				h.Size = e.Size
				body = io.MultiReader(bytes.NewReader(e.Body), &zeroReader{n: e.Size - int64(len(e.Body))})
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("entry %q: %w", e.Name, err)
		}
		if body != nil {
			if _, err := io.Copy(tw, body); err != nil {
				return fmt.Errorf("entry %q: %w", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// ZipBytes returns entries (regular files and directories only; symlinks
// as mode bits) as a zip archive.
func ZipBytes(entries []Entry) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	mtime := time.Date(2025, 2, 4, 20, 56, 49, 0, time.UTC)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mtime}
		mode := os.FileMode(e.Mode & 0o777)
		switch e.Type {
		case tar.TypeDir:
			mode |= os.ModeDir
		case tar.TypeSymlink:
			mode |= os.ModeSymlink
			e.Body = []byte(e.Linkname)
		}
		if e.Mode&0o4000 != 0 {
			mode |= os.ModeSetuid
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", e.Name, err)
		}
		var body io.Reader = bytes.NewReader(e.Body)
		if e.Size > 0 {
			body = io.MultiReader(body, &zeroReader{n: e.Size - int64(len(e.Body))})
		}
		if _, err := io.Copy(w, body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// RenameLocal rewrites the local file header of the zip member named
// central so that it names local instead (same length), leaving the
// central directory alone: the two then disagree.
func RenameLocal(z []byte, central, local string) ([]byte, error) {
	if len(central) != len(local) {
		return nil, fmt.Errorf("renaming %q: %q has a different length", central, local)
	}
	sig := []byte("PK\x03\x04")
	out := bytes.Clone(z)
	for i := 0; i+30 <= len(out); {
		j := bytes.Index(out[i:], sig)
		if j < 0 {
			break
		}
		i += j
		if i+30 > len(out) {
			break
		}
		n := int(out[i+26]) | int(out[i+27])<<8
		if i+30+n <= len(out) && string(out[i+30:i+30+n]) == central {
			copy(out[i+30:], local)
			return out, nil
		}
		i += 4
	}
	return nil, fmt.Errorf("renaming %q: no local header names it", central)
}

func writeFile(dir, name string, data []byte) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", err
	}
	return p, nil
}

// SparseBomb returns raw tar blocks for a PAX 1.0 sparse file named name
// that holds no data and claims size bytes. archive/tar reports it as a
// regular file of that size and reads size zero bytes from 3 KiB of
// archive: a decompression bomb that needs no compression. (archive/tar
// cannot write sparse files, so the blocks are built by hand.)
func SparseBomb(name string, size int64) []byte {
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", strconv.FormatInt(size, 10))
	var b []byte
	b = append(b, ustarBlock("PaxHeaders/bomb", 'x', int64(len(recs)))...)
	b = append(b, pad512([]byte(recs))...)
	m := pad512([]byte("1\n" + strconv.FormatInt(size, 10) + "\n0\n")) // one hole-only region ending at size
	b = append(b, ustarBlock("GNUSparseFile.0/bomb", tar.TypeReg, int64(len(m)))...)
	return append(b, m...)
}

func ustarBlock(name string, typ byte, size int64) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], "14750477421\x00")
	h[156] = typ
	copy(h[257:265], "ustar\x0000")
	for i := 148; i < 156; i++ {
		h[i] = ' '
	}
	sum := 0
	for _, c := range h {
		sum += int(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

func pad512(b []byte) []byte {
	if n := len(b) % 512; n != 0 {
		b = append(b, make([]byte, 512-n)...)
	}
	return b
}

// paxRecord formats "LEN key=value\n", LEN counting itself.
func paxRecord(k, v string) string {
	s := " " + k + "=" + v + "\n"
	for n := len(s) + 1; ; n++ {
		if r := strconv.Itoa(n) + s; len(r) == n {
			return r
		}
	}
}
