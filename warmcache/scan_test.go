package warmcache

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testImage is an image of one layer with the files (content "x", or the
// value given) and directories (name ending in "/", mode 0755, uid 1000).
func testImage(t *testing.T, files map[string]string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if name[len(name)-1] == '/' {
			h = &tar.Header{Name: name, Mode: 0o755, Typeflag: tar.TypeDir, Uid: 1000, Gid: 1000}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(data))
	}
	tw.Close()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestScanImage(t *testing.T) {
	env := []string{"PATH=/usr/local/bin:/usr/bin", "GOROOT=/usr/local/go", "GOCACHE=/go/.cache/go-build"}
	tests := []struct {
		name    string
		files   map[string]string
		env     []string
		hasCC   bool
		parents []string
	}{
		{"scratch", map[string]string{"usr/local/go/VERSION": "go1.26.11\ntime x\n", "usr/local/go/src/fmt/print.go": "", "usr/local/go/src/fmt/x_test.go": ""}, env, false, []string{"go 0755 0", "go/.cache 0755 0"}},
		{"gcc on PATH, /go the user's", map[string]string{"usr/local/go/VERSION": "go1.26.11\n", "usr/bin/gcc": "", "go/": ""}, env, true, []string{"go 0755 1000", "go/.cache 0755 0"}},
		{"CC elsewhere", map[string]string{"usr/local/go/VERSION": "go1.26.11\n", "usr/bin/gcc": ""}, append(env, "CC=/opt/cc -O2"), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := scanImage(testImage(t, tc.files), tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if f.version != "go1.26.11" || f.hasCC != tc.hasCC {
				t.Errorf("scanImage() = version %q, hasCC %v; want go1.26.11, %v", f.version, f.hasCC, tc.hasCC)
			}
			if tc.name == "scratch" && (!f.stdDirs["fmt"] || len(f.stdDirs) != 1) {
				t.Errorf("scanImage().stdDirs = %v, want fmt only", f.stdDirs)
			}
			for i, want := range tc.parents {
				p := f.parents[i]
				if got := fmt.Sprintf("%s %04o %d", p.Name, p.Mode.Perm(), p.UID); got != want {
					t.Errorf("scanImage().parents[%d] = %s, want %s", i, got, want)
				}
			}
		})
	}
}
