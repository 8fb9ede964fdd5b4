//go:build linux

package runtimetest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// PauseRef is the reference of the locally built pause image.
const PauseRef = "localhost/gorootimg-pause:1"

// pauseSource is the pause container's program: it waits for SIGTERM or
// SIGINT, as Kubernetes' pause does (zombies are reaped by nobody: the
// pods here run one process each).
const pauseSource = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
`

// BuildPause builds the pause program with the go command on PATH (static,
// CGO_ENABLED=0) and writes it as a one-layer image tagged PauseRef into
// the docker-load tarball dir/pause.tar, which it returns.
func BuildPause(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "pause-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for f, s := range map[string]string{"go.mod": "module pause\n\ngo 1.21\n", "main.go": pauseSource} {
		if err := os.WriteFile(filepath.Join(src, f), []byte(s), 0o644); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(src, "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir, cmd.Env = src, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if _, err := run(cmd); err != nil {
		return "", fmt.Errorf("building the pause program: %w", err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(b)), Typeflag: tar.TypeReg})
	tw.Write(b)
	if err := tw.Close(); err != nil {
		return "", err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layer.Bytes())), nil })
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/pause"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", err
	}
	tag, err := name.NewTag(PauseRef)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "pause.tar")
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return "", fmt.Errorf("writing the pause image: %w", err)
	}
	return out, nil
}
