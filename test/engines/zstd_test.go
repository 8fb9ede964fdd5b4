package engines

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// zstdMagic is the first four bytes of a zstd frame (RFC 8878, 3.1.1).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// testZstd builds the default image with zstd at the highest level, pushes
// it to the registry the podman rows use, checks from the registry that
// every layer is a zstd layer (media type and the blob's first bytes), and
// pulls it with podman into a store of its own (nothing to share with the
// gzip image's layers), where go version and a small go build run.
func (f *fixture) testZstd(t *testing.T) {
	ref := f.reg + "/go:ci-zstd"
	level := fmt.Sprint(layers.ZstdMaxLevel)
	buildImage(t, f.bin, "--platform", "linux/amd64", "--compression", "zstd", "--compression-level", level, "-t", ref, "--push")
	st := enginetest.NewStore(t)
	podman := func(args ...string) (string, error) {
		ctx, cancel := f.ctx()
		defer cancel()
		r, err := enginetest.Exec(st.Podman(ctx, args...))
		return r.Stdout, err
	}
	check(t, "podman", "podman pull of a zstd (level "+level+") image from docker-registry; go version, go build", func() (string, error) {
		n, err := zstdLayers(ref)
		if err != nil {
			return "", err
		}
		if _, err := podman("pull", "--tls-verify=false", ref); err != nil {
			return "", err
		}
		out, err := podman(enginetest.RunArgs("--network", "none", ref, "go", "version")...)
		if err != nil {
			return "", err
		}
		if want := "go version go" + release() + " linux/amd64"; !strings.Contains(out, want) {
			return "", fmt.Errorf("go version = %q, want %q", out, want)
		}
		dir := f.outDir(t)
		mounts := []string{"--network", "none", "-v", filepath.Join(f.data, "tiny") + ":/src:ro", "-v", dir + ":/out", "-w", "/src"}
		if _, err := podman(append(enginetest.RunArgs(mounts...), ref, "go", "build", "-o", "/out/tiny", ".")...); err != nil {
			return "", err
		}
		ctx, cancel := f.ctx()
		defer cancel()
		r, err := enginetest.Exec(st.Podman(ctx, append(enginetest.RunArgs(mounts...), ref, "/out/tiny")...))
		if err != nil {
			return "", err
		}
		if !strings.Contains(r.Stderr, "tiny runs on amd64") { // println writes to stderr
			return "", fmt.Errorf("tiny printed %q, want %q", r.Stderr, "tiny runs on amd64")
		}
		return fmt.Sprintf("%d layers, all %s", n, types.OCILayerZStd), nil
	})
}

// zstdLayers reads ref's linux/amd64 manifest from the registry and checks
// that every layer has the zstd media type and its blob starts with the
// zstd magic; it returns the number of layers.
func zstdLayers(ref string) (int, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(r)
	if err != nil {
		return 0, fmt.Errorf("reading %s from the registry: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	if len(m.Layers) == 0 {
		return 0, fmt.Errorf("%s has no layers", ref)
	}
	for _, d := range m.Layers {
		if d.MediaType != types.OCILayerZStd {
			return 0, fmt.Errorf("layer %s: media type %s, want %s", d.Digest, d.MediaType, types.OCILayerZStd)
		}
		l, err := remote.Layer(r.Context().Digest(d.Digest.String()))
		if err != nil {
			return 0, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return 0, fmt.Errorf("fetching layer %s: %w", d.Digest, err)
		}
		head := make([]byte, len(zstdMagic))
		_, err = io.ReadFull(rc, head)
		rc.Close()
		if err != nil {
			return 0, fmt.Errorf("reading layer %s: %w", d.Digest, err)
		}
		if !bytes.Equal(head, zstdMagic) {
			return 0, fmt.Errorf("layer %s starts with % x, want the zstd magic % x", d.Digest, head, zstdMagic)
		}
	}
	return len(m.Layers), nil
}
