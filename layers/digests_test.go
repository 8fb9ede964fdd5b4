package layers

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileDigests checks that WithFileDigests lists every regular file
// and symlink with the digests of what went into the tar stream, and
// changes nothing in the blob.
func TestFileDigests(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB: read whole
	huge := big + "x"                                // streamed
	files := map[string]string{"go/small": "hello\n", "go/empty": "", "go/big": big, "go/huge": huge}
	var entries []Entry
	for n, c := range files {
		p := filepath.Join(dir, filepath.Base(n))
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, Entry{Name: n, Mode: 0o644, Src: p, Size: int64(len(c))})
	}
	entries = append(entries, Entry{Name: "go/link", Mode: fs.ModeSymlink | 0o777, Link: "small"},
		Entry{Name: "go/.wh..wh..opq", Mode: 0o644}, Entry{Name: "go/dir", Mode: fs.ModeDir | 0o755})
	ctx := context.Background()
	plain, err := Write(ctx, filepath.Join(dir, "plain"), entries)
	if err != nil {
		t.Fatal(err)
	}
	if plain.HasDigests || plain.Digests != nil {
		t.Errorf("Write without WithFileDigests gave digests %v", plain.Digests)
	}
	files["go/.wh..wh..opq"] = "" // an empty regular file in the tar
	for _, ra := range []int{0, 3} {
		l, err := Write(ctx, filepath.Join(dir, "hashed"), entries, WithFileDigests(true), WithReadAhead(ra))
		if err != nil {
			t.Fatal(err)
		}
		if l.Digest != plain.Digest || l.DiffID != plain.DiffID {
			t.Errorf("read-ahead %d: digests changed the blob: %s, want %s", ra, l.Digest, plain.Digest)
		}
		got := map[string]FileDigest{}
		for _, d := range l.Digests {
			got[d.Name] = d
		}
		if !l.HasDigests || len(got) != len(files)+1 {
			t.Fatalf("read-ahead %d: digests = %+v, want %d files and a symlink", ra, l.Digests, len(files))
		}
		for n, c := range files {
			s1, s256 := sha1.Sum([]byte(c)), sha256.Sum256([]byte(c))
			want := FileDigest{Name: n, SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
			if got[n] != want {
				t.Errorf("read-ahead %d: %s = %+v, want %+v", ra, n, got[n], want)
			}
		}
		if d := got["go/link"]; d != (FileDigest{Name: "go/link", Link: "small"}) {
			t.Errorf("read-ahead %d: symlink = %+v, want its target and no digests", ra, d)
		}
	}
}
