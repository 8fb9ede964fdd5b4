package rootfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/layers"
)

// hdr is one tar entry of a test layer: a name ending in "/" is a
// directory, "name -> target" a symlink, anything else an empty file.
type hdr struct {
	name string
	mode int64
	uid  int
}

func testLayer(t *testing.T, hs ...hdr) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		th := &tar.Header{Name: h.name, Mode: h.mode, Uid: h.uid, Typeflag: tar.TypeReg}
		if th.Mode == 0 {
			th.Mode = 0o644
		}
		switch {
		case strings.HasSuffix(h.name, "/"):
			th.Typeflag = tar.TypeDir
		case strings.Contains(h.name, " -> "):
			th.Name, th.Linkname, _ = strings.Cut(h.name, " -> ")
			th.Typeflag = tar.TypeSymlink
		}
		if err := tw.WriteHeader(th); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func testImage(t *testing.T, ls ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func names(p Paths) []string {
	var out []string
	for n := range p.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func TestImagePathsWhiteouts(t *testing.T) {
	img := testImage(t,
		testLayer(t, hdr{name: "./"}, hdr{name: "./etc/"}, hdr{name: "./etc/passwd"}, hdr{name: "tmp/", mode: 0o1777},
			hdr{name: "usr/x/a"}, hdr{name: "usr/x/b"}, hdr{name: "opt/o/f"}, hdr{name: "opt/o/d/g"}, hdr{name: "srv/"}, hdr{name: "srv/s"}),
		testLayer(t, hdr{name: "usr/x/.wh.a"}, hdr{name: "opt/o/.wh..wh..opq"}, hdr{name: "opt/o/new"},
			hdr{name: "/etc/ssl/certs/x.pem"}, hdr{name: "srv -> /data"}),
		testLayer(t, hdr{name: "etc/.wh.passwd"}),
	)
	p, err := ImagePaths(img)
	if err != nil {
		t.Fatal(err)
	}
	// Parents a layer does not list are there; the opaque directory and its
	// new file stay, what lay below it is gone.
	want := []string{"etc", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/x.pem", "opt", "opt/o", "opt/o/new", "srv", "tmp", "usr", "usr/x", "usr/x/b"}
	if got := names(p); !slices.Equal(got, want) {
		t.Errorf("ImagePaths = %q, want %q", got, want)
	}
	if i, _ := p.Lookup("tmp"); i.Mode != fs.ModeDir|fs.ModeSticky|0o777 {
		t.Errorf("Lookup(tmp).Mode = %v, want dtrwxrwxrwx", i.Mode)
	}
	if i, _ := p.Lookup("srv"); i.Mode&fs.ModeSymlink == 0 {
		t.Errorf("Lookup(srv).Mode = %v, want a symlink (it replaced the directory)", i.Mode)
	}
}

type entry struct {
	name string
	mode fs.FileMode
}

func (e entry) String() string { return e.name + " " + e.mode.String() }

func entryList(es []layers.Entry) []entry {
	var out []entry
	for _, e := range es {
		out = append(out, entry{e.Name, e.Mode})
	}
	return out
}

func TestEntriesScratch(t *testing.T) {
	dir := t.TempDir()
	es, err := Entries(Paths{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{
		{"tmp", anyone}, {"go", anyone}, {"go/bin", anyone}, {"go/src", anyone},
		{"go/.cache", anyone}, {"go/.cache/go-build", anyone},
		{"etc/ssl/certs/ca-certificates.crt", 0o644},
		{"etc/passwd", 0o644}, {"root", fs.ModeDir | 0o700}, {"etc/group", 0o644},
	}
	if got := entryList(es); !slices.Equal(got, want) {
		t.Errorf("Entries(scratch) =\n%v\nwant\n%v", got, want)
	}
	for _, e := range es {
		if !e.Mode.IsRegular() {
			continue
		}
		b, err := os.ReadFile(e.Src)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != e.Size {
			t.Errorf("%s: Size %d, file has %d bytes", e.Name, e.Size, len(b))
		}
		switch e.Name {
		case "etc/passwd":
			if !strings.HasPrefix(string(b), "root:x:0:0:root:/root:") || !strings.Contains(string(b), "\nnobody:x:65534:65534:") {
				t.Errorf("etc/passwd = %q, want root and nobody", b)
			}
		case "etc/group":
			if string(b) != "root:x:0:\nnobody:x:65534:\n" {
				t.Errorf("etc/group = %q, want root and nobody", b)
			}
		}
	}
}

func TestEntriesKeepBase(t *testing.T) {
	for _, tc := range []struct {
		name string
		base []hdr
		want []entry
	}{{
		name: "debian-like",
		base: []hdr{{name: "etc/", mode: 0o755}, {name: "etc/passwd"}, {name: "etc/group"}, {name: "tmp/", mode: 0o1777},
			{name: "etc/ssl/certs/", mode: 0o755}, {name: "etc/ssl/certs/ca-certificates.crt"}, {name: "root/", mode: 0o700}},
		want: []entry{{"go", anyone}, {"go/bin", anyone}, {"go/src", anyone}, {"go/.cache", anyone}, {"go/.cache/go-build", anyone}},
	}, {
		name: "fedora trust store, no group",
		base: []hdr{{name: "etc/", mode: 0o750}, {name: "etc/passwd"}, {name: "etc/pki/tls/certs/ca-bundle.crt"}},
		want: []entry{{"tmp", anyone}, {"go", anyone}, {"go/bin", anyone}, {"go/src", anyone}, {"go/.cache", anyone},
			{"go/.cache/go-build", anyone}, {"etc", fs.ModeDir | 0o750}, {"etc/group", 0o644}},
	}, {
		name: "certificates in the directory",
		base: []hdr{{name: "etc/ssl/certs/1234.0"}, {name: "go/", mode: 0o755}},
		want: []entry{{"tmp", anyone}, {"go", fs.ModeDir | 0o755}, {"go/bin", anyone}, {"go/src", anyone}, {"go/.cache", anyone},
			{"go/.cache/go-build", anyone}, {"etc", fs.ModeDir | 0o755}, {"etc/passwd", 0o644}, {"root", fs.ModeDir | 0o700}, {"etc/group", 0o644}},
	}, {
		name: "etc is a symlink, go is not root's",
		base: []hdr{{name: "etc -> /data/etc"}, {name: "go/", mode: 0o755, uid: 1000}, {name: "tmp -> /var/tmp"}},
		want: []entry{{"root", fs.ModeDir | 0o700}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ImagePaths(testImage(t, testLayer(t, tc.base...)))
			if err != nil {
				t.Fatal(err)
			}
			es, err := Entries(p, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if got := entryList(es); !slices.Equal(got, tc.want) {
				t.Errorf("Entries =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	ctx := context.Background()
	mtime := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	a, err := Write(ctx, nil, t.TempDir(), layers.WithMTime(mtime))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Write(ctx, testImage(t), t.TempDir(), layers.WithMTime(mtime))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest || a.DiffID != b.DiffID {
		t.Errorf("Write(scratch) = %s, Write(empty image) = %s, want equal", a.Digest, b.Digest)
	}
	l, err := a.V1()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Layer(l); err != nil {
		t.Errorf("validate.Layer: %v", err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(mtime) {
			t.Errorf("%s: owner %d:%d, mtime %v; want 0:0 and %v", h.Name, h.Uid, h.Gid, h.ModTime, mtime)
		}
		modes[h.Name] = h.Mode
	}
	for name, want := range map[string]int64{"tmp/": 0o1777, "go/": 0o1777, "go/bin/": 0o1777, "go/.cache/go-build/": 0o1777,
		"etc/": 0o755, "etc/ssl/certs/": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644, "root/": 0o700} {
		if modes[name] != want {
			t.Errorf("%s: mode %o, want %o", name, modes[name], want)
		}
	}

	// A base that has everything gets no layer.
	full := testImage(t, testLayer(t, hdr{name: "tmp/"}, hdr{name: "go/bin/"}, hdr{name: "go/src/"}, hdr{name: "go/.cache/go-build/"},
		hdr{name: "etc/ssl/cert.pem"}, hdr{name: "etc/passwd"}, hdr{name: "etc/group"}))
	if l, err := Write(ctx, full, t.TempDir()); err != nil || l != nil {
		t.Errorf("Write(complete base) = %v, %v; want nil, nil", l, err)
	}
}

func TestConfigure(t *testing.T) {
	cf := &v1.ConfigFile{Config: v1.Config{Env: []string{"A=1", "GOCACHE=/root/.cache/go-build", "B=2"}}}
	Configure(cf)
	if want := []string{"A=1", "B=2", "GOCACHE=" + GOCACHE}; !slices.Equal(cf.Config.Env, want) {
		t.Errorf("Configure: Env = %q, want %q", cf.Config.Env, want)
	}
	if cf.Config.WorkingDir != "/go" {
		t.Errorf("Configure: WorkingDir = %q, want /go", cf.Config.WorkingDir)
	}
	cf = &v1.ConfigFile{Config: v1.Config{WorkingDir: "/src"}}
	Configure(cf)
	if cf.Config.WorkingDir != "/src" {
		t.Errorf("Configure: WorkingDir = %q, want the base's /src", cf.Config.WorkingDir)
	}
}

// TestCABundle checks the bundle the image ships: every block a CA
// certificate that x509 accepts, well-known roots in, constrained ones out.
func TestCABundle(t *testing.T) {
	b, err := CABundle()
	if err != nil {
		t.Fatal(err)
	}
	if b.Roots < 100 {
		t.Errorf("CABundle has %d roots, want the NSS set (over 100)", b.Roots)
	}
	var subjects []string
	rest := b.PEM
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			t.Errorf("PEM block of type %q, want CERTIFICATE", blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("parsing root %d: %v", len(subjects)+1, err)
		}
		if !c.IsCA {
			t.Errorf("%s is not a CA certificate", c.Subject)
		}
		subjects = append(subjects, c.Subject.String())
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("CABundle PEM has %d bytes of trailing garbage", len(rest))
	}
	if len(subjects) != b.Roots {
		t.Errorf("CABundle PEM holds %d certificates, Roots says %d", len(subjects), b.Roots)
	}
	for _, want := range []string{"CN=ISRG Root X1,O=Internet Security Research Group,C=US", "CN=GTS Root R1,O=Google Trust Services LLC,C=US"} {
		if !slices.Contains(subjects, want) {
			t.Errorf("CABundle lacks %s", want)
		}
	}
	for _, o := range b.Omitted {
		if slices.Contains(subjects, o) {
			t.Errorf("constrained root %s is in the bundle", o)
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.PEM) {
		t.Error("x509.CertPool.AppendCertsFromPEM(CABundle) = false")
	}
	t.Logf("%d roots, %d omitted: %q", b.Roots, len(b.Omitted), b.Omitted)
}

func TestBundleFileName(t *testing.T) {
	// Entries names content files after the item; two items must not clash.
	dir := t.TempDir()
	es, err := Entries(Paths{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range es {
		if e.Src == "" {
			continue
		}
		if seen[e.Src] || filepath.Dir(e.Src) != dir {
			t.Errorf("content file %s: want a distinct file in %s", e.Src, dir)
		}
		seen[e.Src] = true
	}
}

// TestFilesMatchEntries checks that Entries is Files written out: the
// names, modes and contents llbgen gets from Files are the tar's.
func TestFilesMatchEntries(t *testing.T) {
	files, err := ImageFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := Entries(Paths{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(entries) || len(files) == 0 {
		t.Fatalf("ImageFiles(nil) has %d files, Entries %d entries", len(files), len(entries))
	}
	for i, f := range files {
		e := entries[i]
		if f.Name != e.Name || f.Mode != e.Mode {
			t.Errorf("file %d = %s %v, entry %s %v", i, f.Name, f.Mode, e.Name, e.Mode)
		}
		if e.Src != "" {
			b, err := os.ReadFile(e.Src)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(f.Data) {
				t.Errorf("%s: entry content differs from Files' Data", f.Name)
			}
		}
	}
}
