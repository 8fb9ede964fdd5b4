package cacheprog

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed helper/main.go.txt
var mainSource []byte

// Where the helper goes in an image and how the image's Env names it.
const (
	// ImagePath is the helper's path in the image.
	ImagePath = "/usr/local/libexec/gorootimg/gocacheprog"
	// MinGoMinor is the first Go 1.x release whose go command speaks the
	// GOCACHEPROG protocol without GOEXPERIMENT (Go 1.24).
	MinGoMinor = 24
)

// Source returns the helper's source files by name (go.mod, main.go).
func Source() map[string][]byte {
	return map[string][]byte{
		"go.mod":  []byte("module gorootimg-cacheprog\n\ngo 1.24\n"),
		"main.go": mainSource,
	}
}

// SourceHash names the source in cache keys.
func SourceHash() string {
	return fmt.Sprintf("%x", sha256Sum(mainSource))
}

// Supported reports whether the go command of release version ("go1.24.3",
// "go1.26rc1") speaks GOCACHEPROG without an experiment flag.
func Supported(version string) bool {
	v := strings.TrimPrefix(version, "go")
	major, rest, ok := strings.Cut(v, ".")
	if !ok || major != "1" {
		return ok && major > "1"
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	minor, err := strconv.Atoi(rest[:i])
	return err == nil && minor >= MinGoMinor
}

// GOCACHEPROG is the value of the image Env's GOCACHEPROG: the helper with
// the image's warm cache directory as its read-only tier.
func GOCACHEPROG(warmDir string) string {
	return ImagePath + " -warm " + warmDir
}

// Build compiles the helper with the go command of the SDK at goroot (one
// that runs on this host) for goos/goarch into the file out: -trimpath,
// CGO_ENABLED=0 and no build ID, so its bytes are a function of the Go
// release and the platform. env is the environment of the go command
// (PATH, HOME and the like); GOROOT, GOOS, GOARCH, CGO_ENABLED, GOFLAGS,
// GOTOOLCHAIN are set here. gocache is the go command's build cache; empty
// means a fresh one that is removed afterwards.
func Build(ctx context.Context, goroot, goos, goarch, out, gocache string, env []string) error {
	work, err := os.MkdirTemp(filepath.Dir(out), ".cacheprog-src-")
	if err != nil {
		return fmt.Errorf("building the GOCACHEPROG helper: %w", err)
	}
	defer os.RemoveAll(work)
	for name, b := range Source() {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return fmt.Errorf("building the GOCACHEPROG helper: %w", err)
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
		return fmt.Errorf("building the GOCACHEPROG helper with %q: %w: %s", goroot, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// filterEnv drops the variables Build sets itself and any GO* setting
// that would change the helper's bytes.
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
