package cacheprog

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed front/main.go.txt
var mainSource []byte

// Where the go front goes in an image.
const (
	// BinDir is the directory of the front in the image, which comes
	// before GOROOT/bin on the image's PATH.
	BinDir = "/usr/local/libexec/gorootimg/bin"
	// ImagePath is the front's path in the image.
	ImagePath = BinDir + "/go"
)

// Source returns the front's source files by name (go.mod, main.go). It
// needs nothing newer than Go 1.16, so every release compiles it.
func Source() map[string][]byte {
	return map[string][]byte{
		"go.mod":  []byte("module gorootimg-gofront\n\ngo 1.16\n"),
		"main.go": mainSource,
	}
}

// SourceHash names the source in cache keys.
func SourceHash() string {
	return fmt.Sprintf("%x", sha256Sum(mainSource))
}

// Build compiles the front with the go command of the SDK at goroot (one
// that runs on this host) for goos/goarch into the file out: -trimpath,
// CGO_ENABLED=0 and no build ID, so its bytes are a function of the Go
// release and the platform. env is the environment of the go command
// (PATH, HOME and the like); GOROOT, GOOS, GOARCH, CGO_ENABLED, GOFLAGS,
// GOTOOLCHAIN are set here. gocache is the go command's build cache; empty
// means a fresh one that is removed afterwards.
func Build(ctx context.Context, goroot, goos, goarch, out, gocache string, env []string) error {
	work, err := os.MkdirTemp(filepath.Dir(out), ".gofront-src-")
	if err != nil {
		return fmt.Errorf("building the go front: %w", err)
	}
	defer os.RemoveAll(work)
	for name, b := range Source() {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return fmt.Errorf("building the go front: %w", err)
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(goroot, "bin", "go"), "build", "-trimpath",
		"-ldflags=-s -w -buildid=", "-o", out, ".")
	cmd.Dir = work
	cmd.Env = append(filterEnv(env), "GOROOT="+goroot, "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0",
		"GOFLAGS=", "GOTOOLCHAIN=local", "GOENV=off", "GOWORK=off")
	if gocache == "" {
		gocache = filepath.Join(work, "cache")
	}
	cmd.Env = append(cmd.Env, "GOCACHE="+gocache)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the go front with %q: %w: %s", goroot, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// filterEnv drops the variables Build sets itself and any GO* setting
// that would change the front's bytes.
func filterEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || k == "CGO_ENABLED" || strings.HasPrefix(k, "CGO_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
