package hostile

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestGenerator checks that every case writes a well-formed container of
// its kind (so refusals are about the hostile entry, not a broken file),
// and that the image cases are valid images except the tampered one.
func TestGenerator(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			if names[c.Name] {
				t.Fatalf("case name %q used twice", c.Name)
			}
			names[c.Name] = true
			if !strings.HasPrefix(c.Name, string(c.Source)+"/") {
				t.Errorf("case %q is not named after its source %q", c.Name, c.Source)
			}
			dir := t.TempDir()
			tg := Targets{Escape: filepath.Join(dir, EscapeName), Victim: filepath.Join(dir, "victim")}
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o755)
			spec, err := c.Write(in, tg)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			switch c.Source {
			case Tarball:
				if n := countTar(t, spec); n < 8 {
					t.Errorf("tarball has %d entries, want at least the 8 of the fake SDK", n)
				}
			case ModZip:
				z, err := zip.OpenReader(spec)
				if err != nil {
					t.Fatalf("opening module zip: %v", err)
				}
				defer z.Close()
				for _, f := range z.File {
					if c.NeedLimit {
						continue // reading the bomb is the reader's job, not this test's
					}
					rc, err := f.Open()
					if err != nil {
						t.Fatalf("opening %s: %v", f.Name, err)
					}
					if _, err := io.Copy(io.Discard, rc); err != nil {
						t.Errorf("reading %s: %v", f.Name, err)
					}
					rc.Close()
				}
			case OCI:
				lp, err := layout.FromPath(strings.TrimPrefix(spec, "oci:"))
				if err != nil {
					t.Fatal(err)
				}
				ii, err := lp.ImageIndex()
				if err != nil {
					t.Fatal(err)
				}
				im, err := ii.IndexManifest()
				if err != nil || len(im.Manifests) != 1 {
					t.Fatalf("layout index: %v, %d manifests, want 1", err, len(im.Manifests))
				}
				img, err := ii.Image(im.Manifests[0].Digest)
				if err != nil {
					t.Fatal(err)
				}
				err = validate.Image(img)
				if tampered := c.Name == "oci/layer-digest-mismatch"; tampered != (err != nil) {
					t.Errorf("validate.Image = %v; want an error only for the tampered layer", err)
				}
			}
			if _, err := os.Lstat(tg.Escape); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("writing the case created %s", tg.Escape)
			}
		})
	}
}

func countTar(t *testing.T, file string) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	n := 0
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		n++
	}
}

// TestRenameLocal shows why the central/local mismatch case matters: Go's
// archive/zip trusts the central directory and never notices that the
// local header names something else; another unzip tool would see the
// local name.
func TestRenameLocal(t *testing.T) {
	z, err := ZipBytes([]Entry{{Name: "a/good.go", Mode: 0o644, Body: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := RenameLocal(z, "a/good.go", "../evil12")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bad, []byte("../evil12")) || bytes.Count(bad, []byte("a/good.go")) != 1 {
		t.Fatalf("RenameLocal did not rewrite exactly the local header")
	}
	zr, err := zip.NewReader(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatalf("archive/zip refuses the mismatched zip: %v", err)
	}
	if got := zr.File[0].Name; got != "a/good.go" {
		t.Errorf("archive/zip name = %q, want the central directory's %q", got, "a/good.go")
	}
	if _, err := RenameLocal(z, "a/good.go", "short"); err == nil {
		t.Errorf("RenameLocal with a different length = nil error, want one")
	}
}
