package layers

import (
	"archive/tar"
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
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// fixture writes a few files and returns entries naming them.
func fixture(t *testing.T) []Entry {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go":        "#!/bin/sh\necho go\n",
		"print.go":  "package fmt\n",
		"big.bin":   strings.Repeat("gorootimg layer content ", 300000), // > 4 MiB: streamed
		"VERSION":   "go1.99.0\ntime 2025-01-02T03:04:05Z\n",
		"empty.txt": "",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := func(n string) (string, int64) { return filepath.Join(dir, n), int64(len(files[n])) }
	e := func(name, file string, mode fs.FileMode) Entry {
		p, n := src(file)
		return Entry{Name: name, Src: p, Size: n, Mode: mode}
	}
	// Deliberately unsorted and without most parent directories.
	return []Entry{
		e("usr/local/go/src/fmt/print.go", "print.go", 0o644),
		e("usr/local/go/bin/go", "go", 0o755),
		e("usr/local/go/VERSION", "VERSION", 0o644),
		e("usr/local/go/pkg/big.bin", "big.bin", 0o644),
		e("usr/local/go/empty.txt", "empty.txt", 0o644),
		{Name: "usr/local/go/src", Mode: fs.ModeDir | 0o755},
		{Name: "usr/local/go/lib/link", Mode: fs.ModeSymlink | 0o777, Link: "../VERSION"},
		{Name: "usr/local/go/.wh..wh..opq", Mode: 0o644},
	}
}

func TestWriteDeterministic(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			entries := fixture(t)
			dir := t.TempDir()
			a, err := Write(context.Background(), filepath.Join(dir, "a"), entries, WithCompression(c), WithMTime(mtime), WithReadAhead(1))
			if err != nil {
				t.Fatal(err)
			}
			// Reverse the input and read further ahead: same bytes.
			rev := make([]Entry, len(entries))
			for i, e := range entries {
				rev[len(entries)-1-i] = e
			}
			b, err := Write(context.Background(), filepath.Join(dir, "b"), rev, WithCompression(c), WithMTime(mtime), WithReadAhead(64))
			if err != nil {
				t.Fatal(err)
			}
			if a.Digest != b.Digest || a.DiffID != b.DiffID || a.Size != b.Size {
				t.Errorf("Write twice = %s/%s/%d and %s/%s/%d, want equal", a.Digest, a.DiffID, a.Size, b.Digest, b.DiffID, b.Size)
			}
			if a.MediaType != c.MediaType() {
				t.Errorf("MediaType = %s, want %s", a.MediaType, c.MediaType())
			}
			blob, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if got := sha256.Sum256(blob); hex.EncodeToString(got[:]) != a.Digest.Hex || int64(len(blob)) != a.Size {
				t.Errorf("blob sha256 = %x (%d bytes), want %s (%d)", got, len(blob), a.Digest.Hex, a.Size)
			}
			if c == Gzip && (blob[4] != 0 || blob[5] != 0 || blob[6] != 0 || blob[7] != 0) {
				t.Errorf("gzip header MTIME = % x, want zero", blob[4:8])
			}
			l, err := a.V1()
			if err != nil {
				t.Fatal(err)
			}
			if c == Gzip { // validate.Layer reads gzip only; checkTar checks zstd's diffID
				if err := validate.Layer(l); err != nil {
					t.Errorf("validate.Layer: %v", err)
				}
			}
			checkTar(t, l, mtime)
		})
	}
}

func checkTar(t *testing.T, l v1.Layer, mtime time.Time) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(rc, h))
	var names []string
	seen := map[string]bool{}
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(hd.Name, "/")
		names = append(names, hd.Name)
		if dir := filepath.Dir(name); dir != "." && !seen[dir] {
			t.Errorf("entry %s comes before its parent directory %s", hd.Name, dir)
		}
		seen[name] = true
		if hd.Uid != 0 || hd.Gid != 0 || hd.Uname != "" || hd.Gname != "" {
			t.Errorf("%s: owner %d:%d %q:%q, want 0:0 with no names", hd.Name, hd.Uid, hd.Gid, hd.Uname, hd.Gname)
		}
		if !hd.ModTime.Equal(mtime.Truncate(time.Second)) {
			t.Errorf("%s: mtime %v, want %v", hd.Name, hd.ModTime, mtime.Truncate(time.Second))
		}
		wantMode := int64(0o644)
		switch {
		case hd.Typeflag == tar.TypeDir || strings.HasSuffix(hd.Name, "/bin/go"):
			wantMode = 0o755
		case hd.Typeflag == tar.TypeSymlink:
			wantMode = 0o777
		}
		if hd.Mode != wantMode {
			t.Errorf("%s: mode %o, want %o", hd.Name, hd.Mode, wantMode)
		}
	}
	io.Copy(io.Discard, tr)
	io.Copy(h, rc)
	if d, _ := l.(interface{ DiffID() (v1.Hash, error) }).DiffID(); d.Hex != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("DiffID = %s, want sha256:%x", d, h.Sum(nil))
	}
	want := []string{"usr/", "usr/local/", "usr/local/go/", "usr/local/go/.wh..wh..opq", "usr/local/go/VERSION",
		"usr/local/go/bin/", "usr/local/go/bin/go", "usr/local/go/empty.txt", "usr/local/go/lib/", "usr/local/go/lib/link",
		"usr/local/go/pkg/", "usr/local/go/pkg/big.bin", "usr/local/go/src/", "usr/local/go/src/fmt/", "usr/local/go/src/fmt/print.go"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("tar entries =\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

func TestWriteChangesWithInputs(t *testing.T) {
	entries := fixture(t)
	dir := t.TempDir()
	base, err := Write(context.Background(), filepath.Join(dir, "base"), entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"mtime", []Option{WithMTime(time.Unix(1e9, 0))}},
		{"zstd", []Option{WithCompression(Zstd)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Write(context.Background(), filepath.Join(dir, tc.name), entries, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if l.Digest == base.Digest {
				t.Errorf("Write with %s = %s, same as without", tc.name, l.Digest)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	good := fixture(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"absolute", []Entry{{Name: "/etc/passwd", Mode: 0o644}}, "clean relative"},
		{"dotdot", []Entry{{Name: "../x", Mode: 0o644}}, "clean relative"},
		{"unclean", []Entry{{Name: "a//b", Mode: 0o644}}, "clean relative"},
		{"twice", []Entry{{Name: "a", Mode: 0o644}, {Name: "a", Mode: 0o644}}, "given twice"},
		{"device", []Entry{{Name: "a", Mode: fs.ModeDevice}}, "unsupported"},
		{"missing", []Entry{{Name: "a", Mode: 0o644, Src: filepath.Join(dir, "nope"), Size: 1}}, "no such file"},
		{"grew", []Entry{{Name: "a", Mode: 0o644, Src: good[0].Src, Size: 1}}, "size changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(dir, tc.name)
			_, err := Write(context.Background(), dst, tc.entries)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write(%s) = %v, want error containing %q", tc.name, err, tc.want)
			}
			if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed Write left %s behind (stat: %v)", dst, err)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "."+tc.name+".tmp-*"))
			if len(left) > 0 {
				t.Errorf("failed Write left temporary files %v", left)
			}
		})
	}
}

func TestWriteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dst := filepath.Join(t.TempDir(), "layer")
	if _, err := Write(ctx, dst, fixture(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write(cancelled) = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cancelled Write left %s (stat: %v)", dst, err)
	}
}

func TestMediaType(t *testing.T) {
	if Gzip.MediaType() != types.OCILayer || Zstd.MediaType() != types.OCILayerZStd {
		t.Errorf("media types = %s, %s", Gzip.MediaType(), Zstd.MediaType())
	}
	if _, err := ParseCompression("lz4"); err == nil {
		t.Error("ParseCompression(lz4) = nil error, want error")
	}
}

func TestWriteSpecialModeBits(t *testing.T) {
	entries := []Entry{
		{Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Name: "srv", Mode: fs.ModeDir | fs.ModeSetgid | 0o775},
		{Name: "bin/su", Mode: fs.ModeSetuid | 0o755},
		{Name: "etc", Mode: fs.ModeDir | 0o755},
	}
	want := map[string]int64{"tmp/": 0o1777, "srv/": 0o2775, "bin/": 0o755, "bin/su": 0o4755, "etc/": 0o755}
	for _, hd := range writeHeaders(t, entries) {
		if hd.Mode != want[hd.Name] {
			t.Errorf("%s: mode %o, want %o", hd.Name, hd.Mode, want[hd.Name])
		}
		delete(want, hd.Name)
	}
	if len(want) != 0 {
		t.Errorf("entries missing from the layer: %v", want)
	}
}

// writeHeaders writes entries as a layer with opts and returns its tar
// headers in order.
func writeHeaders(t *testing.T, entries []Entry, opts ...Option) []*tar.Header {
	t.Helper()
	l, err := Write(context.Background(), filepath.Join(t.TempDir(), "l"), entries, opts...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.V1()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := v.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var hs []*tar.Header
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}
