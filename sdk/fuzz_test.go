package sdk

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	goversion "go/version"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imageref"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/test/hostile"
)

// FuzzOpen writes an arbitrary VERSION into a tree that otherwise looks
// like an SDK: Open either refuses it or reports a one-line go1 release.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{
		"go1.22.12\ntime 2025-02-04T20:56:49Z\n", "go1.22.12", "devel go1.23-abc", "go1.22.12\ntime yesterday\n",
		"\n\n", "go1\x00\n", "go1.21.0\r\ntime 2023-08-08T15:00:00Z\r\n", strings.Repeat("go1", 30000),
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pkg", "tool", "linux_amd64"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, version []byte) {
		if err := os.WriteFile(filepath.Join(dir, "VERSION"), version, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s.Version, "go1") || strings.ContainsAny(s.Version, "\n\r") {
			t.Errorf("Open with VERSION %q gave version %q", version, s.Version)
		}
		if s.GOOS != "linux" || s.GOARCH != "amd64" {
			t.Errorf("Open gave platform %s/%s, want linux/amd64", s.GOOS, s.GOARCH)
		}
	})
}

// rawLayer is an uncompressed layer over bytes, so that each fuzz input
// costs a hash and not a gzip.
type rawLayer struct {
	b      []byte
	diffID v1.Hash
}

func (l *rawLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *rawLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.b)), nil
}
func (l *rawLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

func newRawLayer(b []byte) (v1.Layer, error) {
	sum := sha256.Sum256(b)
	return partial.UncompressedToLayer(&rawLayer{b: b, diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}})
}

func tarOf(f *testing.F, es []hostile.Entry) []byte {
	b, err := hostile.TarBytes(es, false)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzExtractGOROOT applies two arbitrary layers and checks what
// ExtractGOROOT promises: nothing is written outside dst, and what is
// written holds no device files and no symlink pointing out of dst.
func FuzzExtractGOROOT(f *testing.F) {
	const root = "usr/local/go/"
	base := []hostile.Entry{
		{Name: root, Type: tar.TypeDir, Mode: 0o755},
		{Name: root + "VERSION", Mode: 0o644, Body: []byte("go1.22.12\n")},
		{Name: root + "bin/", Type: tar.TypeDir, Mode: 0o755},
		{Name: root + "bin/go", Mode: 0o755, Body: []byte("#!/bin/sh\n")},
		{Name: root + "lib/", Type: tar.TypeDir, Mode: 0o755},
		{Name: root + "lib/a", Mode: 0o644, Body: []byte("a\n")},
	}
	over := []hostile.Entry{
		{Name: root + "lib/.wh.a", Mode: 0o644},
		{Name: root + "bin/.wh..wh..opq", Mode: 0o644},
		{Name: root + "bin/gofmt", Type: tar.TypeLink, Linkname: root + "bin/go"},
		{Name: root + "lib/rel", Type: tar.TypeSymlink, Linkname: "../bin/go"},
	}
	f.Add(tarOf(f, base), tarOf(f, over))
	f.Add(tarOf(f, base), []byte{})
	for _, evil := range [][]hostile.Entry{
		{{Name: root + "../../../../etc/x", Mode: 0o644, Body: []byte("x")}},
		{{Name: "/" + root + "abs", Mode: 0o644}},
		{{Name: root + "lib/up", Type: tar.TypeSymlink, Linkname: "/"}, {Name: root + "lib/up/x", Mode: 0o644}},
		{{Name: root + "lib/up", Type: tar.TypeSymlink, Linkname: "../../../../.."}, {Name: root + "lib/up/x", Mode: 0o644}},
		{{Name: root + "lib/h", Type: tar.TypeLink, Linkname: "etc/passwd"}},
		{{Name: root + "lib/a", Type: tar.TypeSymlink, Linkname: "b"}, {Name: root + "lib/b", Type: tar.TypeSymlink, Linkname: "a"}},
		{{Name: root + "lib/tty", Type: tar.TypeChar, Mode: 0o666, Major: 5}},
		{{Name: root + "lib/.wh.../../../x", Mode: 0o644}},
		{{Name: "usr/local/.wh.go", Mode: 0o644}},
		{{Name: "usr/local/.wh..wh..opq", Mode: 0o644}},
		{{Name: root, Type: tar.TypeSymlink, Linkname: "/etc"}},
	} {
		f.Add(tarOf(f, base), tarOf(f, evil))
	}
	f.Fuzz(func(t *testing.T, l1, l2 []byte) {
		a, err := newRawLayer(l1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := newRawLayer(l2)
		if err != nil {
			t.Fatal(err)
		}
		img, err := mutate.AppendLayers(empty.Image, a, b)
		if err != nil {
			t.Fatal(err)
		}
		top := t.TempDir()
		dst := filepath.Join(top, "dst")
		err = ExtractGOROOT(context.Background(), img, "/usr/local/go", dst)
		checkConfined(t, top, dst)
		_ = err // refusing is fine; escaping is not
	})
}

// checkConfined fails if anything but dst appeared in top, or dst holds a
// device, a pipe or a symlink that points outside dst.
func checkConfined(t *testing.T, top, dst string) {
	t.Helper()
	ents, _ := os.ReadDir(top)
	for _, e := range ents {
		if e.Name() != "dst" {
			t.Errorf("extraction created %s outside dst", filepath.Join(top, e.Name()))
		}
	}
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("walking %s: %v", p, err)
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		m := info.Mode()
		switch {
		case m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
			t.Errorf("extraction created special file %s (%v)", p, m)
		case m&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			if filepath.IsAbs(target) {
				t.Errorf("extraction created absolute symlink %s -> %s", p, target)
				break
			}
			abs := filepath.Join(filepath.Dir(p), target)
			if rel, err := filepath.Rel(dst, abs); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				t.Errorf("extraction created symlink %s -> %s, outside dst", p, target)
			}
		}
		return nil
	})
}

// FuzzArchive unpacks an arbitrary tar stream the way a release archive is
// unpacked (everything below go/, strict) with a small size limit.
func FuzzArchive(f *testing.F) {
	sdkTar := func(extra ...hostile.Entry) []byte {
		es := []hostile.Entry{
			{Name: "go/", Type: tar.TypeDir, Mode: 0o755},
			{Name: "go/VERSION", Mode: 0o644, Body: []byte("go1.22.12\n")},
			{Name: "go/bin/", Type: tar.TypeDir, Mode: 0o755},
			{Name: "go/bin/go", Mode: 0o755, Body: []byte("#!/bin/sh\n")},
		}
		return tarOf(f, append(es, extra...))
	}
	f.Add(sdkTar())
	for _, evil := range []hostile.Entry{
		{Name: "go/../../x", Mode: 0o644},
		{Name: "/go/abs", Mode: 0o644},
		{Name: "go/bin/go", Mode: 0o755, Body: []byte("twin")},
		{Name: "go/lib/up", Type: tar.TypeSymlink, Linkname: "../.."},
		{Name: "go/lib/h", Type: tar.TypeLink, Linkname: "/etc/passwd"},
		{Name: "go/lib/tty", Type: tar.TypeChar, Major: 5},
		{Name: "go/lib/big", Mode: 0o644, Size: 2 << 20},
		{Raw: hostile.SparseBomb("go/lib/sparse", 1<<40)},
		{Name: "go/bin/go", Mode: 0o4755},
	} {
		f.Add(sdkTar(evil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top := t.TempDir()
		dst := filepath.Join(top, "dst")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		tr := newTree(dst)
		tr.limit = 1 << 20
		err := applyTar(context.Background(), tr, bytes.NewReader(data), "go", true, false)
		checkConfined(t, top, dst)
		if err == nil && tr.written > tr.limit {
			t.Errorf("applyTar wrote %d bytes, past the limit of %d, and did not fail", tr.written, tr.limit)
		}
	})
}

// FuzzModuleZip unpacks an arbitrary zip the way a golang.org/toolchain
// module zip is unpacked, after the checks the module zip gets.
func FuzzModuleZip(f *testing.F) {
	const tv = "v0.0.1-go1.22.12.linux-amd64"
	prefix := toolchainModule + "@" + tv + "/"
	zipOf := func(es ...hostile.Entry) []byte {
		b, err := hostile.ZipBytes(es)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	base := []hostile.Entry{
		{Name: prefix + "VERSION", Mode: 0o644, Body: []byte("go1.22.12\n")},
		{Name: prefix + "bin/go", Mode: 0o755, Body: []byte("#!/bin/sh\n")},
		{Name: prefix + "src/_go.mod", Mode: 0o644, Body: []byte("module std\n")},
	}
	f.Add(zipOf(base...))
	f.Add(zipOf(append(base, hostile.Entry{Name: prefix + "../x", Mode: 0o644})...))
	f.Add(zipOf(append(base, hostile.Entry{Name: prefix + "bin/go", Mode: 0o644})...))
	f.Add(zipOf(append(base, hostile.Entry{Name: prefix + "lib/up", Type: tar.TypeSymlink, Linkname: "/"})...))
	f.Add(zipOf(append(base, hostile.Entry{Name: prefix + "lib/big", Mode: 0o644, Size: 2 << 20})...))
	if z, err := hostile.RenameLocal(zipOf(base...), prefix+"bin/go", prefix+"../gox"); err == nil {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top := t.TempDir()
		file := filepath.Join(top, "m.zip")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(top, "dst")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		err := extractModuleZip(context.Background(), file, tv, dst, 1<<20)
		os.Remove(file)
		checkConfined(t, top, dst)
		if err != nil {
			return
		}
		// What was unpacked is what archive/zip's central directory lists.
		zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if zerr != nil {
			t.Fatalf("extractModuleZip accepted a zip archive/zip cannot open: %v", zerr)
		}
		for _, zf := range zr.File {
			name := strings.TrimPrefix(zf.Name, prefix)
			if strings.HasSuffix(name, "/") {
				continue
			}
			if _, err := os.Lstat(filepath.Join(dst, filepath.FromSlash(name))); err != nil {
				t.Errorf("extractModuleZip accepted the zip but did not write %q: %v", zf.Name, err)
			}
		}
	})
}

// FuzzParseRelease: a --go value that names a release gives a valid Go
// version, and a release and platform survive the trip through a
// golang.org/toolchain version.
func FuzzParseRelease(f *testing.F) {
	for _, s := range []string{"1.22", "1.22.12", "go1.22.12", "1.23rc1", "go1.26beta2", "1", "1.22.", "go1.22.12.linux-amd64", "local", "../1.22"} {
		f.Add(s, "linux", "amd64")
	}
	f.Add("1.21.0", "windows", "arm64")
	f.Fuzz(func(t *testing.T, spec, goos, goarch string) {
		v, line, ok := parseRelease(spec)
		if !ok {
			return
		}
		if !goversion.IsValid(v) {
			t.Fatalf("parseRelease(%q) = %q, not a valid Go version", spec, v)
		}
		if line && strings.Count(v, ".") != 1 {
			t.Errorf("parseRelease(%q) = %q, a line, but not goX.Y", spec, v)
		}
		p, err := imageref.ParsePlatform(goos + "/" + goarch)
		if err != nil {
			return
		}
		tv := toolchainVersion(v, p)
		gv, gp, ok := parseToolchainVersion(tv)
		if !ok || gv != v || !gp.Equals(p) {
			t.Errorf("parseToolchainVersion(%q) = %q, %v, %v; want %q, %v", tv, gv, gp, ok, v, p)
		}
	})
}

// FuzzReleaseList parses an arbitrary version list from a proxy and asks
// it for releases: no panic, and an answer is a release of the list.
func FuzzReleaseList(f *testing.F) {
	f.Add([]byte("v0.0.1-go1.22.12.linux-amd64\nv0.0.1-go1.22.12.linux-arm64\nv0.0.1-go1.23rc1.linux-amd64\n"), "1.22")
	f.Add([]byte("v0.0.1-go1.22.12.lin/ux-am/d64\nv0.0.1-go1.22.12.linux-\n v0.0.1-1.22.linux-amd64"), "1.22.12")
	f.Fuzz(func(t *testing.T, list []byte, spec string) {
		r := parseList(list)
		v, line, ok := parseRelease(spec)
		if !ok {
			return
		}
		got, err := r.choose(spec, v, line, []v1.Platform{{OS: "linux", Architecture: "amd64"}})
		if err == nil {
			if _, ok := r[got]; !ok {
				t.Errorf("choose(%q) = %q, which the list does not hold", spec, got)
			}
		}
		r.newestAny()
	})
}
