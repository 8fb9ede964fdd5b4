package sdk

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func TestResolveArchive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := gzipBytes(tarBytes(t, "go/", fakeGOROOT("go1.22.5", linuxAMD64)))
	file := writeFile(t, dir, "go1.22.5.linux-amd64.tar.gz", good)
	sum := sha256.Sum256(good)
	hexsum := hex.EncodeToString(sum[:])
	cache := tempCache(t)

	sdks, err := Resolve(ctx, file, []v1.Platform{linuxAMD64}, Options{CacheDir: cache, SHA256: hexsum})
	if err != nil {
		t.Fatal(err)
	}
	s := sdks[0]
	if s.Version != "go1.22.5" || s.Source != "archive:go1.22.5.linux-amd64.tar.gz" || s.Hash != "sha256:"+hexsum || !s.Platform().Equals(linuxAMD64) {
		t.Errorf("Resolve(archive) = %+v", s)
	}
	if got := readTree(t, s.Dir)["src/cmd/go.mod"]; got != "module cmd\n" {
		t.Errorf("src/cmd/go.mod = %q", got)
	}

	// The same tree as from the module zip: normalisation is identical.
	fp := newFakeProxy(t)
	fp.add("go1.22.5", linuxAMD64)
	fromZip, err := Resolve(ctx, "1.22.5", []v1.Platform{linuxAMD64}, fp.options(tempCache(t)))
	if err != nil {
		t.Fatal(err)
	}
	a, b := readTree(t, s.Dir), readTree(t, fromZip[0].Dir)
	if len(a) != len(b) {
		t.Errorf("archive tree has %d files, module zip tree %d", len(a), len(b))
	}
	for n, body := range a {
		if b[n] != body {
			t.Errorf("%s differs between archive and module zip trees", n)
		}
		fa, _ := os.Stat(filepath.Join(s.Dir, n))
		fb, _ := os.Stat(filepath.Join(fromZip[0].Dir, n))
		if fa.Mode() != fb.Mode() {
			t.Errorf("%s mode: archive %v, module zip %v", n, fa.Mode(), fb.Mode())
		}
	}

	notSDK := writeFile(t, dir, "notsdk.tar.gz", gzipBytes(tarBytes(t, "go/", []fakeFile{{name: "VERSION", body: "go1.22.5\n"}})))
	truncated := writeFile(t, dir, "trunc.tar.gz", good[:len(good)/2])
	notGzip := writeFile(t, dir, "plain.tar.gz", []byte("this is not gzip"))
	for _, tc := range []struct {
		name string
		file string
		ps   []v1.Platform
		sha  string
		want string
	}{
		{"wrong sha256", file, nil, strings.Repeat("0", 64), "sha256 is " + hexsum + ", not the " + strings.Repeat("0", 64) + " expected"},
		{"truncated", truncated, nil, "", "unexpected EOF"},
		{"not gzip", notGzip, nil, "", "gzip"},
		{"other platform", file, []v1.Platform{linuxARM64}, "", "is a linux/amd64 SDK and serves only that platform, not linux/arm64"},
		{"missing", filepath.Join(dir, "none.tar.gz"), nil, "", "no such file"},
		{"not an SDK", notSDK, nil, "", notSDK + " does not look like a Go SDK: no pkg/tool directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tempCache(t)
			ps := tc.ps
			if ps == nil {
				ps = []v1.Platform{linuxAMD64}
			}
			_, err := Resolve(ctx, tc.file, ps, Options{CacheDir: c, SHA256: tc.sha})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resolve(%s) error = %v, want %q", tc.name, err, tc.want)
			}
			if tc.name != "other platform" {
				if got := cacheEntries(t, c); len(got) != 0 {
					t.Errorf("cache holds %v, want nothing", got)
				}
			}
		})
	}
}

// hostile archive entries: each is refused with the entry's name and
// leaves nothing in the cache.
func TestHostileArchives(t *testing.T) {
	ctx := context.Background()
	base := fakeGOROOT("go1.22.5", linuxAMD64)
	for _, tc := range []struct {
		name  string
		extra []fakeFile
		want  string
	}{
		{"dotdot", []fakeFile{{name: "../evil", body: "x"}}, `entry "go/../evil" has a .. component`},
		{"dotdot inside", []fakeFile{{name: "src/../../evil", body: "x"}}, `entry "go/src/../../evil" has a .. component`},
		{"absolute", []fakeFile{{name: "/etc/evil", body: "x"}}, `has an absolute path`},
		{"symlink escapes", []fakeFile{{name: "bin/evil", link: "../../../etc/passwd"}}, `entry "go/bin/evil" is a symlink to "../../../etc/passwd", outside the tree`},
		{"absolute symlink", []fakeFile{{name: "bin/evil", link: "/etc/passwd"}}, `entry "go/bin/evil" is a symlink to "/etc/passwd", outside the tree`},
		{"write through symlink", []fakeFile{{name: "lnk", link: "src"}, {name: "lnk/x.go", body: "x"}}, `entry "go/lnk/x.go" lies below symlink "lnk"`},
		{"symlink chain escapes", []fakeFile{{name: "a", link: "."}, {name: "b", link: "a/a/a/../../.."}}, `entry "go/b" is a symlink to "a/a/a/../../..", outside the tree`},
		{"hard link outside", []fakeFile{{name: "bin/evil", hard: "etc/passwd"}}, `entry "go/bin/evil" is a hard link to "etc/passwd", outside the tree`},
		{"hard link to nothing", []fakeFile{{name: "bin/evil", hard: "go/nothing"}}, `is a hard link to "nothing", which is not a file extracted before it`},
		{"device", []fakeFile{{name: "dev", typ: tar.TypeChar}}, `entry "go/dev" has type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := append(append([]fakeFile{}, base...), tc.extra...)
			data := tarBytes(t, "go/", files)
			// Rewrite names that tarBytes prefixed but should be raw.
			data = rawNames(t, data)
			file := writeFile(t, t.TempDir(), "go.tar.gz", gzipBytes(data))
			c := tempCache(t)
			_, err := Resolve(ctx, file, []v1.Platform{linuxAMD64}, Options{CacheDir: c})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resolve error = %v, want %q", err, tc.want)
			}
			if got := cacheEntries(t, c); len(got) != 0 {
				t.Errorf("cache holds %v, want nothing", got)
			}
		})
	}

	// An entry outside go/ is refused too.
	data := tarBytes(t, "", append([]fakeFile{{name: "README", body: "hi"}}, prefixed("go/", base)...))
	file := writeFile(t, t.TempDir(), "go.tar.gz", gzipBytes(data))
	if _, err := Resolve(ctx, file, []v1.Platform{linuxAMD64}, Options{CacheDir: tempCache(t)}); err == nil || !strings.Contains(err.Error(), `entry "README" is outside go/`) {
		t.Errorf("archive with README outside go/: error = %v", err)
	}
}

func prefixed(prefix string, files []fakeFile) []fakeFile {
	out := make([]fakeFile, len(files))
	for i, f := range files {
		f.name = prefix + f.name
		out[i] = f
	}
	return out
}

// rawNames turns "go//etc/evil" (an absolute name under the prefix) into
// "/etc/evil", so tests can write absolute entries.
func rawNames(t *testing.T, data []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(h.Name, "go//") {
			h.Name = strings.TrimPrefix(h.Name, "go/")
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	return buf.Bytes()
}

func TestResolveLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range fakeGOROOT("go1.22.5", linuxARM64) {
		p := filepath.Join(dir, f.name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f.body), 0o644)
	}
	sdks, err := Resolve(ctx, dir, []v1.Platform{linuxARM64}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := sdks[0]; s.Dir != dir || s.Version != "go1.22.5" || s.Source != "local:"+dir || s.Hash != "" {
		t.Errorf("Resolve(dir) = %+v", s)
	}
	sdks, err = Resolve(ctx, "local", []v1.Platform{linuxARM64}, Options{LocalGOROOT: dir})
	if err != nil || sdks[0].Dir != dir {
		t.Errorf("Resolve(local) = %v, %v", sdks, err)
	}
	for _, tc := range []struct {
		spec string
		opts Options
		ps   []v1.Platform
		want string
	}{
		{dir, Options{}, []v1.Platform{linuxAMD64}, "is a linux/arm64 SDK and serves only that platform, not linux/amd64"},
		{"local", Options{}, []v1.Platform{linuxARM64}, "no go command found on PATH"},
		{t.TempDir(), Options{}, []v1.Platform{linuxARM64}, "does not look like a Go SDK: no pkg/tool directory"},
		{dir, Options{SHA256: "abc"}, []v1.Platform{linuxARM64}, "only a release archive (.tar.gz) can be checked"},
		{filepath.Join(dir, "nope"), Options{}, []v1.Platform{linuxARM64}, "no such file"},
	} {
		if _, err := Resolve(ctx, tc.spec, tc.ps, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%q, %v) error = %v, want %q", tc.spec, tc.ps, err, tc.want)
		}
	}
}

// layerOf makes an uncompressed-tar layer from files with image paths.
func layerOf(t *testing.T, files []fakeFile) v1.Layer {
	t.Helper()
	data := tarBytes(t, "", files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, p v1.Platform, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestExtractGOROOTLayers(t *testing.T) {
	ctx := context.Background()
	base := prefixed("usr/local/go/", fakeGOROOT("go1.22.5", linuxAMD64))
	l1 := layerOf(t, append([]fakeFile{{name: "etc/os-release", body: "debian"}, {name: "usr/local/go/src/old/a.go", body: "old"},
		{name: "usr/local/go/doc/x.html", body: "doc"}, {name: "usr/local/go/misc/keep", body: "k"}}, base...))
	l2 := layerOf(t, []fakeFile{
		{name: "usr/local/go/src/old/sub/c.go", body: "implicit parent", bare: true},
		{name: "usr/local/go/src/old/.wh..wh..opq", typ: tar.TypeReg},
		{name: "usr/local/go/src/old/b.go", body: "new"},
		{name: "usr/local/go/doc/.wh.x.html", typ: tar.TypeReg},
		{name: "usr/local/go/bin/go2", hard: "usr/local/go/bin/go"},
		{name: "usr/local/go/bin/link", link: "go"},
		{name: "usr/local/go/lib/up", link: "../src/fmt"},
	})
	img := imageOf(t, linuxAMD64, l1, l2)
	dst := filepath.Join(t.TempDir(), "go")
	if err := ExtractGOROOT(ctx, img, "/usr/local/go", dst); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dst)
	for n, want := range map[string]string{
		"src/old/b.go": "new", "src/old/sub/c.go": "implicit parent", "bin/go2": "#!/bin/sh\necho fake go\n", "bin/link": "-> go", "lib/up": "-> ../src/fmt",
		"misc/keep": "k", "VERSION": "go1.22.5\ntime 2025-02-04T20:39:04Z\n",
	} {
		if got[n] != want {
			t.Errorf("extracted %s = %q, want %q", n, got[n], want)
		}
	}
	for _, gone := range []string{"src/old/a.go", "doc/x.html", "etc/os-release", "../etc/os-release"} {
		if _, ok := got[gone]; ok {
			t.Errorf("extracted tree has %s, want it whited out or outside", gone)
		}
	}
	a, _ := os.Stat(filepath.Join(dst, "bin/go"))
	b, _ := os.Stat(filepath.Join(dst, "bin/go2"))
	if !os.SameFile(a, b) {
		t.Errorf("bin/go2 is not a hard link to bin/go")
	}

	// A whiteout of the GOROOT itself, then a new one.
	l3 := layerOf(t, []fakeFile{{name: "usr/local/.wh.go", typ: tar.TypeReg}})
	l4 := layerOf(t, prefixed("usr/local/go/", fakeGOROOT("go1.22.6", linuxAMD64)))
	dst = filepath.Join(t.TempDir(), "go")
	if err := ExtractGOROOT(ctx, imageOf(t, linuxAMD64, l1, l2, l3, l4), "/usr/local/go", dst); err != nil {
		t.Fatal(err)
	}
	got = readTree(t, dst)
	if _, ok := got["src/old/b.go"]; ok || !strings.HasPrefix(got["VERSION"], "go1.22.6") {
		t.Errorf("after a whiteout of /usr/local/go and a new tree: VERSION %q, old files %v", got["VERSION"], ok)
	}
	// An opaque parent directory hides the GOROOT of lower layers.
	l5 := layerOf(t, []fakeFile{{name: "usr/.wh..wh..opq", typ: tar.TypeReg}, {name: "usr/local/go/VERSION", body: "go1.99\n"}})
	dst = filepath.Join(t.TempDir(), "go")
	if err := ExtractGOROOT(ctx, imageOf(t, linuxAMD64, l1, l5), "/usr/local/go", dst); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dst); len(got) != 1 || got["VERSION"] != "go1.99\n" {
		t.Errorf("after opaque /usr: tree = %v, want only the new VERSION", got)
	}

	for _, tc := range []struct {
		name  string
		files []fakeFile
		want  string
	}{
		{"dotdot", []fakeFile{{name: "usr/local/go/../../../etc/x", body: "x"}}, `entry "usr/local/go/../../../etc/x" has a .. component`},
		{"symlink escape", []fakeFile{{name: "usr/local/go/bin/x", link: "../../../../etc/shadow"}}, `is a symlink to "../../../../etc/shadow", outside the tree`},
		{"goroot is symlink", []fakeFile{{name: "usr/local/go", link: "go1.22"}}, "the GOROOT directory itself is a symlink"},
		{"hard link outside goroot", []fakeFile{{name: "etc/passwd", body: "root"}, {name: "usr/local/go/p", hard: "etc/passwd"}}, `is a hard link to "etc/passwd", outside the tree`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ExtractGOROOT(ctx, imageOf(t, linuxAMD64, l1, layerOf(t, tc.files)), "/usr/local/go", filepath.Join(t.TempDir(), "go"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ExtractGOROOT error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestResolveImage(t *testing.T) {
	ctx := context.Background()
	mk := func(p v1.Platform, v, root string) v1.Image {
		return imageOf(t, p, layerOf(t, append([]fakeFile{{name: "etc/hostname", body: "h"}}, prefixed(root, fakeGOROOT(v, p))...)))
	}
	amd, arm := mk(linuxAMD64, "go1.22.12", "usr/local/go/"), mk(linuxARM64, "go1.22.12", "usr/local/go/")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})

	// A registry image.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, _ := name.ParseReference(host + "/golang:1.22")
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	cache := tempCache(t)
	sdks, err := Resolve(ctx, "image:"+host+"/golang:1.22", []v1.Platform{linuxAMD64, linuxARM64}, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	da, _ := amd.Digest()
	if s := sdks[0]; s.Version != "go1.22.12" || !s.Platform().Equals(linuxAMD64) || s.Hash != da.String() || !strings.HasPrefix(s.Source, "image:"+host+"/golang:1.22@sha256:") {
		t.Errorf("Resolve(image:)[0] = %+v", s)
	}
	if !sdks[1].Platform().Equals(linuxARM64) {
		t.Errorf("Resolve(image:)[1] = %+v", sdks[1])
	}
	if _, err := Resolve(ctx, "image:"+host+"/golang:1.22", []v1.Platform{{OS: "linux", Architecture: "s390x"}}, Options{CacheDir: cache}); err == nil || !strings.Contains(err.Error(), "no image for linux/s390x") {
		t.Errorf("Resolve(image:, s390x) error = %v", err)
	}

	// An OCI layout, with the SDK at another path.
	dir := t.TempDir()
	lp, _ := layout.Write(dir, empty.Index)
	other := mk(linuxAMD64, "go1.26.1", "opt/go/")
	lp.AppendImage(other, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "sdk"}))
	sdks, err = Resolve(ctx, "oci:"+dir+":sdk", []v1.Platform{linuxAMD64}, Options{CacheDir: cache, ImageGOROOT: "/opt/go"})
	if err != nil {
		t.Fatal(err)
	}
	if sdks[0].Version != "go1.26.1" {
		t.Errorf("Resolve(oci:) = %+v", sdks[0])
	}
	_, err = Resolve(ctx, "oci:"+dir+":sdk", []v1.Platform{linuxAMD64}, Options{CacheDir: tempCache(t)})
	if err == nil || !strings.Contains(err.Error(), "/usr/local/go in oci:"+dir+":sdk (linux/amd64) does not look like a Go SDK") {
		t.Errorf("Resolve(oci:) at the default path of an image without it: error = %v", err)
	}
	// A wrong-platform SDK inside an image labelled amd64.
	lp2dir := t.TempDir()
	lp2, _ := layout.Write(lp2dir, empty.Index)
	liar := imageOf(t, linuxAMD64, layerOf(t, prefixed("usr/local/go/", fakeGOROOT("go1.22.1", linuxARM64))))
	lp2.AppendImage(liar)
	if _, err := Resolve(ctx, "oci:"+lp2dir, []v1.Platform{linuxAMD64}, Options{CacheDir: tempCache(t)}); err == nil || !strings.Contains(err.Error(), "holds a linux/arm64 SDK") {
		t.Errorf("Resolve(mislabelled image) error = %v", err)
	}
}
