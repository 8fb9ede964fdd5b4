package sdk_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/test/hostile"
)

// FuzzParsePlatforms: a list that parses gives platforms that print and
// parse back to themselves, with no duplicates and nothing empty.
func FuzzParsePlatforms(f *testing.F) {
	for _, s := range []string{
		"linux/amd64", "linux/amd64,linux/arm64", "linux/arm/v7", " linux/amd64 ", "",
		"linux/amd64,linux/amd64", "Linux/AMD64", "linux", "linux/amd64/v2/x", "/", ",", "linux//amd64",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := sdk.ParsePlatforms(s)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatalf("ParsePlatforms(%q) = no platforms and no error", s)
		}
		seen := map[sdk.Platform]bool{}
		for _, p := range ps {
			if p.OS == "" || p.Arch == "" {
				t.Errorf("ParsePlatforms(%q) gave %+v with an empty field", s, p)
			}
			if seen[p] {
				t.Errorf("ParsePlatforms(%q) gave %s twice", s, p)
			}
			seen[p] = true
			q, err := sdk.ParsePlatform(p.String())
			if err != nil || q != p {
				t.Errorf("ParsePlatform(%q) = %+v, %v; want %+v", p.String(), q, err, p)
			}
		}
	})
}

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
		s, err := sdk.Open(dir)
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
		err = sdk.ExtractGOROOT(context.Background(), img, "/usr/local/go", dst)
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
