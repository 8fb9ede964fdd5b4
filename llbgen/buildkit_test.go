package llbgen

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// entry is what a test compares of one file in an image or a tree.
type entry struct {
	mode fs.FileMode // permission bits and type
	sum  string      // sha256 of a regular file's content
	link string
}

func (e entry) String() string { return fmt.Sprintf("%v %s %q", e.mode, e.sum, e.link) }

// treeEntries describes files below dir (which goroot.Scan lists).
func treeEntries(t *testing.T, files goroot.FileSet) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	for _, f := range files {
		e := entry{mode: f.Mode & (fs.ModeType | fs.ModePerm), link: f.Link}
		if f.Mode.IsRegular() {
			b, err := os.ReadFile(f.Src)
			if err != nil {
				t.Fatal(err)
			}
			s := sha256.Sum256(b)
			e.sum = hex.EncodeToString(s[:])
		}
		out[f.Name] = e
	}
	return out
}

// imageEntries describes the files below goroot in img's flattened
// filesystem, and checks they are all owned by root.
func imageEntries(t *testing.T, img v1.Image, goroot string) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	prefix := strings.TrimPrefix(goroot, "/") + "/"
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(h.Name, "./")), "/")
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want 0:0", name, h.Uid, h.Gid)
		}
		fi := h.FileInfo()
		e := entry{mode: fi.Mode() & (fs.ModeType | fs.ModePerm), link: h.Linkname}
		if h.Typeflag == tar.TypeReg {
			s := sha256.New()
			if _, err := io.Copy(s, tr); err != nil {
				t.Fatal(err)
			}
			e.sum = hex.EncodeToString(s.Sum(nil))
		}
		out[rel] = e
	}
	return out
}

func compareEntries(t *testing.T, what string, got, want map[string]entry) {
	t.Helper()
	for n, w := range want {
		g, ok := got[n]
		switch {
		case !ok:
			t.Errorf("%s: missing %s", what, n)
		case g != w:
			t.Errorf("%s: %s = %v, want %v", what, n, g, w)
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("%s: extra %s", what, n)
		}
	}
}

// pushBase writes a small base image to the registry and returns its
// reference pinned by digest and its config.
func pushBase(t *testing.T, host string) (string, *v1.ConfigFile) {
	t.Helper()
	l := tarLayer(t, map[string]string{
		"etc/os-release":        "ID=test\n",
		"usr/local/bin/hello":   "#!/bin/sh\necho hi\n",
		"usr/local/go/stale.go": "package stale\n", // the copy merges into an existing dir
	})
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "BASE=1"}
	cf.Config.User = "1000:1000"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host+"/base:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return host + "/base@" + d.String(), cf
}

// TestBuildKit builds definitions with a real buildkitd: over a base image
// from a real registry for linux/amd64 and over scratch for linux/arm64 (no
// emulation is needed: the definition runs no process), exported as an OCI
// layout and pushed to the registry, and checks the images' GOROOT files,
// owners, modes and config.
func TestBuildKit(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds buildkitd and runs builds")
	}
	testenv.NeedTool(t, "docker-registry")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	d := buildkittest.Start(t, buildkittest.Options{InsecureRegistries: []string{reg.Host}})
	ctx := context.Background()

	_, files := fakeGOROOT(t)
	ctxDir := filepath.Join(t.TempDir(), "goroot")
	if err := Prepare(ctx, ctxDir, files, testTime); err != nil {
		t.Fatal(err)
	}
	prepared, err := goroot.Scan(ctxDir)
	if err != nil {
		t.Fatal(err)
	}
	want := treeEntries(t, prepared)
	baseRef, baseCfg := pushBase(t, reg.Host)

	pinned, err := name.ParseReference(baseRef, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	baseImg, err := remote.Image(pinned)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		platform v1.Platform
		base     string
		baseCfg  *v1.ConfigFile
		baseImg  v1.Image
	}{
		{amd64, baseRef, baseCfg, baseImg},
		{v1.Platform{OS: "linux", Architecture: "arm64"}, "scratch", nil, nil},
	} {
		t.Run(tc.platform.Architecture, func(t *testing.T) {
			fsFiles, err := rootfs.ImageFiles(tc.baseImg)
			if err != nil {
				t.Fatal(err)
			}
			def, err := Marshal(ctx, Spec{Platform: tc.platform, Base: tc.base, GOROOTPath: "/usr/local/go", Time: testTime, FS: fsFiles})
			if err != nil {
				t.Fatal(err)
			}
			// What gorootimg build's file system layer holds for this base.
			fsl, err := rootfs.Write(ctx, tc.baseImg, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			fsv1, err := fsl.V1()
			if err != nil {
				t.Fatal(err)
			}
			wantFS := layerEntries(t, fsv1)
			cfg := imageconfig.Config(tc.baseCfg, imageconfig.Meta{GoVersion: "go1.99.1", Created: testTime, Recipe: "test", Platform: tc.platform})
			attr, err := ExporterAttr(cfg)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "oci")
			tag := reg.Host + "/llb:" + tc.platform.Architecture
			d.Buildctl(ctx, t, def, "build", "--local", "goroot="+ctxDir,
				"--output", "type=oci,tar=false,dest="+out+","+attr,
				"--output", "type=image,name="+tag+",push=true,oci-mediatypes=true,"+attr)

			idx, err := layout.ImageIndexFromPath(out)
			if err != nil {
				t.Fatal(err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(im.Manifests) != 1 {
				t.Fatalf("OCI layout has %d manifests, want 1", len(im.Manifests))
			}
			img, err := idx.Image(im.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Image(img); err != nil {
				t.Errorf("validate.Image: %v", err)
			}
			ref, err := name.ParseReference(tag, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			pushed, err := remote.Image(ref)
			if err != nil {
				t.Fatal(err)
			}
			for what, img := range map[string]v1.Image{"oci": img, "pushed": pushed} {
				got, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if got.OS != cfg.OS || got.Architecture != cfg.Architecture {
					t.Errorf("%s: platform %s/%s, want %s/%s", what, got.OS, got.Architecture, cfg.OS, cfg.Architecture)
				}
				if !reflect.DeepEqual(got.Config, cfg.Config) || !got.Created.Time.Equal(cfg.Created.Time) {
					t.Errorf("%s: config %+v created %v, want %+v created %v", what, got.Config, got.Created, cfg.Config, cfg.Created)
				}
				// The base's usr/local/go/stale.go is gone, as gorootimg build
				// hides it with an opaque whiteout.
				compareEntries(t, what, imageEntries(t, img, "/usr/local/go"), want)
				// The file system layer: every path rootfs.Write gives has the
				// same type, mode (sticky bit included) and content, owned by root.
				gotFS := flatEntries(t, img)
				for n, w := range wantFS {
					if g, ok := gotFS[n]; !ok || g != w {
						t.Errorf("%s: file system layer %s = %+v (present %v), want %+v", what, n, g, ok, w)
					}
				}
			}
		})
	}
}

// fsEntry is what TestBuildKit compares of a file system layer path.
type fsEntry struct {
	mode     fs.FileMode // type, permission, sticky, setuid and setgid bits
	sum      string
	uid, gid int
}

func readEntries(t *testing.T, rc io.ReadCloser) map[string]fsEntry {
	t.Helper()
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]fsEntry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(h.Name, "./")), "/")
		e := fsEntry{mode: h.FileInfo().Mode() & (fs.ModeType | fs.ModePerm | fs.ModeSticky | fs.ModeSetuid | fs.ModeSetgid), uid: h.Uid, gid: h.Gid}
		if h.Typeflag == tar.TypeReg {
			s := sha256.New()
			if _, err := io.Copy(s, tr); err != nil {
				t.Fatal(err)
			}
			e.sum = hex.EncodeToString(s.Sum(nil))
		}
		out[name] = e
	}
}

// layerEntries lists one layer's paths.
func layerEntries(t *testing.T, l v1.Layer) map[string]fsEntry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	return readEntries(t, rc)
}

// flatEntries lists the paths of img's flattened file system.
func flatEntries(t *testing.T, img v1.Image) map[string]fsEntry {
	t.Helper()
	return readEntries(t, mutate.Extract(img))
}

// tarLayer makes an uncompressed layer of regular 0644 files.
func tarLayer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(files))
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
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
