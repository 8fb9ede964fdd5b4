package main

import (
	"archive/tar"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestSelfImage runs hack/self-image.sh into an OCI layout and checks the
// index (two platforms), each config (non-root user, entrypoint, CA roots
// in the environment) and the files, and that the amd64 binary, taken out
// of its layer, is static and runs "gorootimg version".
func TestSelfImage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: cross-compiles gorootimg twice (-short)")
	}
	dir := filepath.Join(t.TempDir(), "layout")
	cmd := exec.Command("sh", "../self-image.sh", "--oci-layout", dir, "-t", "test")
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-selftest", "SOURCE_DATE_EPOCH=1700000000")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/self-image.sh: %v\n%s", err, stderrOf(err))
	}
	digest := strings.TrimSpace(string(out))
	lp, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	top, err := ii.IndexManifest()
	if err != nil || len(top.Manifests) != 1 || top.Manifests[0].Digest.String() != digest {
		t.Fatalf("index.json = %+v (%v), want one entry, the printed digest %s", top, err, digest)
	}
	idx, err := ii.ImageIndex(top.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("validate.Index: %v", err)
	}
	im, _ := idx.IndexManifest()
	var plats []string
	for _, m := range im.Manifests {
		plats = append(plats, m.Platform.String())
	}
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms = %v, want linux/amd64, linux/arm64", plats)
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != "65532:65532" || !slices.Equal(cf.Config.Entrypoint, []string{Entrypoint}) {
			t.Errorf("%s: user %q entrypoint %q, want 65532:65532 and [%s]", m.Platform, cf.Config.User, cf.Config.Entrypoint, Entrypoint)
		}
		if !slices.Contains(cf.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
			t.Errorf("%s: env %q names no CA roots", m.Platform, cf.Config.Env)
		}
		files := extract(t, img, t.TempDir())
		for _, f := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "usr/local/bin/gorootimg", "tmp"} {
			if _, ok := files[f]; !ok {
				t.Errorf("%s: no %s in the image", m.Platform, f)
			}
		}
		if h := files["tmp"]; h != nil && h.Mode&0o1777 != 0o1777 {
			t.Errorf("%s: /tmp mode %o, want 1777", m.Platform, h.Mode)
		}
		if m.Platform.Architecture != "amd64" || runtime.GOARCH != "amd64" {
			continue
		}
		bin := files["usr/local/bin/gorootimg"].Linkname // where extract wrote it
		ef, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary has an ELF interpreter: not static")
			}
		}
		ef.Close()
		out, err := exec.Command(bin, "version").Output()
		if err != nil || !strings.HasPrefix(string(out), "gorootimg v0.0.0-selftest ") || !strings.Contains(string(out), "linux/amd64") {
			t.Errorf("gorootimg version = %q, %v; want gorootimg v0.0.0-selftest ... linux/amd64", out, err)
		}
	}
}

// extract writes img's regular files below dir and returns every entry's
// header by name; a regular file's Linkname is set to where it was written.
func extract(t *testing.T, img v1.Image, dir string) map[string]*tar.Header {
	t.Helper()
	ls, err := img.Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("%d layers (%v), want 1", len(ls), err)
	}
	rc, err := ls[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want root", h.Name, h.Uid, h.Gid)
		}
		name := strings.TrimSuffix(h.Name, "/")
		out[name] = h
		if h.Typeflag == tar.TypeReg {
			p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
			h.Linkname = p
		}
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
