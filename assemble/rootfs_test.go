package assemble

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/rootfs"
)

// baseLayout writes a linux/amd64 base image with /etc/passwd, a 0700
// /tmp and a trust store directory to an OCI layout and loads it; with
// platform, the layout holds an index that states the image's platform.
func baseLayout(t *testing.T, platform bool) *imageref.Ref {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 14},
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o700},
		{Name: "etc/ssl/certs/base.pem", Typeflag: tar.TypeReg, Mode: 0o644},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("base:x:0:0::/\n"))
		}
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "base")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if platform {
		idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
		err = p.AppendIndex(idx)
	} else {
		err = p.AppendImage(img)
	}
	if err != nil {
		t.Fatal(err)
	}
	ref, err := imageref.Load(context.Background(), "oci:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// flatten returns the headers and file contents of img's file system.
func flatten(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string]string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	hdrs, files := map[string]*tar.Header{}, map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		hdrs[name] = h
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			files[name] = string(b)
		}
	}
	return hdrs, files
}

func TestRootFSKeepsBase(t *testing.T) {
	res, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Base: baseLayout(t, true)}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	hdrs, files := flatten(t, res.Images[0].Image)
	if got := files["etc/passwd"]; got != "base:x:0:0::/\n" {
		t.Errorf("/etc/passwd = %q, want the base's", got)
	}
	if h := hdrs["tmp"]; h == nil || h.Mode != 0o700 {
		t.Errorf("/tmp = %+v, want the base's 0700 directory", h)
	}
	if _, ok := hdrs["etc/ssl/certs/ca-certificates.crt"]; ok {
		t.Error("a CA bundle was added to a base with a trust store of its own")
	}
	if _, ok := hdrs["root"]; ok {
		t.Error("/root was added to a base that has its own /etc/passwd")
	}
	if files["etc/group"] == "" {
		t.Error("/etc/group was not added to a base without one")
	}
	for _, d := range []string{"go", "go/bin", "go/src", "go/.cache/go-build"} {
		if h := hdrs[d]; h == nil || h.Mode != 0o1777 {
			t.Errorf("/%s = %+v, want a 1777 directory", d, h)
		}
	}

	// Scratch gets everything.
	res2, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64")})
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Close()
	hdrs, files = flatten(t, res2.Images[0].Image)
	b, _ := rootfs.CABundle()
	if files["etc/ssl/certs/ca-certificates.crt"] != string(b.PEM) || !strings.HasPrefix(files["etc/passwd"], "root:x:0:0:") {
		t.Errorf("scratch image lacks the CA bundle or /etc/passwd (%d, %q)", len(files["etc/ssl/certs/ca-certificates.crt"]), files["etc/passwd"])
	}
	if h := hdrs["tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp = %+v, want a 1777 directory", h)
	}
}

func TestBaseLacksPlatform(t *testing.T) {
	for _, tc := range []struct {
		platform bool
		want     string
	}{
		{true, "has no image for linux/arm64; it has linux/amd64"},
		{false, "is a linux/amd64 image, not linux/arm64"},
	} {
		_, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64", "arm64"), Resolved: imagespec.Resolved{Base: baseLayout(t, tc.platform)}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(arm64 on an amd64-only base) = %v, want an error with %q", err, tc.want)
		}
	}
}
