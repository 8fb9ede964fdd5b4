package warmcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HostGOROOT returns the GOROOT on disk of the host-platform SDK of the
// Go release goVersion ("go1.26.11"), fetched and verified (the caller
// uses sdk.HostRelease).
type HostGOROOT func(ctx context.Context, goVersion string) (string, error)

// WithHostGOROOT lets WarmImage take the privilege-free path (PathHost)
// where the cache involves no C compiler: f finds the host's toolchain of
// the image's release. Without it WarmImage always uses the sandbox.
func WithHostGOROOT(f HostGOROOT) Option {
	return func(o *options) error {
		o.hostGOROOT = f
		return nil
	}
}

// hostVariants are the variants the host path builds: tools are linked
// for the host by go tool, so they need the image's own toolchain.
var hostVariants = []Variant{Std, Vet, Race}

// hostReason says why the host path cannot warm an image of platform p
// with list, or "" when it can.
func hostReason(f *imageFacts, p v1.Platform, list []Variant) string {
	switch {
	case p.OS != "linux":
		return "only linux images are warmed"
	case p.Architecture == "arm":
		return "GOARM of a cross build is not the armv6l release's default"
	case f.env["CGO_ENABLED"] == "1":
		return "the image's Env sets CGO_ENABLED=1, so the cache keys cover its C compiler"
	case f.env["CGO_ENABLED"] != "0" && f.hasCC:
		return fmt.Sprintf("the image has the C compiler %q and cgo is on, so the cache keys cover that compiler", f.cc)
	}
	for _, v := range list {
		if !slices.Contains(hostVariants, v) {
			return fmt.Sprintf("%s are linked for the platform the go command runs on", v)
		}
	}
	return ""
}

// warmHost builds list with the host toolchain at hostRoot for the image
// described by f, with the image's Env but for GOROOT, GOCACHE (below
// dir) and GOENV=off, and GOOS, GOARCH and CGO_ENABLED=0 where the Env
// leaves them to the go command's defaults.
func warmHost(ctx context.Context, f *imageFacts, p v1.Platform, img Image, hostRoot, dir string, list []Variant, o *options) (*Result, error) {
	if f.notDir != "" {
		return nil, fmt.Errorf("warming the build cache: %s in the image is not a directory; set GOCACHE below a real directory", f.notDir)
	}
	w := &warmer{
		img:     img,
		o:       o,
		goroot:  f.env["GOROOT"],
		cache:   filepath.Join(dir, "gocache"),
		workDir: filepath.Join(dir, "work"),
		parents: f.parents,
		res:     &Result{GOCACHE: f.env["GOCACHE"], Path: PathHost},
	}
	for _, d := range []string{w.cache, w.workDir, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("warming the build cache: %w", err)
		}
	}
	env := hostEnv(img.Env, p, hostRoot, w.cache, filepath.Join(dir, "tmp"))
	gobin := filepath.Join(hostRoot, "bin", "go")
	w.command = func(ctx context.Context, args []string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Env, cmd.Dir = env, w.workDir
		return cmd
	}
	for _, pe := range f.parents {
		if pe.Mode&0o001 == 0 {
			w.res.Notes = append(w.res.Notes, fmt.Sprintf("/%s is %04o: only its owner reaches the warm cache at %s", pe.Name, pe.Mode.Perm(), w.res.GOCACHE))
		}
	}
	if err := w.probe(ctx, w.cache); err != nil {
		return nil, err
	}
	if w.res.GoVersion != f.version {
		return nil, fmt.Errorf("warming the build cache: the host toolchain at %s is %s, the image's is %q", hostRoot, w.res.GoVersion, f.version)
	}
	w.stdDirs = f.stdDirs
	for _, v := range list {
		if err := w.build(ctx, v); err != nil {
			return nil, err
		}
	}
	if err := dropIndex(w.cache); err != nil {
		return nil, fmt.Errorf("warming the build cache: %w", err)
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	return w.res, nil
}

// hostEnv is the environment of the host path's go command: the image's
// Env, with GOROOT and GOCACHE the host's, GOTMPDIR tmp (below the
// caller's directory, so that nothing else need be writable), no go env
// file (GOENV=off: the host user's is not the image's), and the
// image's platform with cgo off where the Env leaves them unset (a C
// compiler on the host would otherwise turn cgo on).
func hostEnv(imgEnv []string, p v1.Platform, goroot, gocache, tmp string) []string {
	set := map[string]string{"GOROOT": goroot, "GOCACHE": gocache, "GOENV": "off", "GOTMPDIR": tmp}
	def := map[string]string{"GOOS": p.OS, "GOARCH": p.Architecture, "CGO_ENABLED": "0"}
	var env []string
	for _, kv := range imgEnv {
		k, _, _ := strings.Cut(kv, "=")
		if set[k] != "" {
			continue
		}
		delete(def, k)
		env = append(env, kv)
	}
	for _, k := range []string{"GOOS", "GOARCH", "CGO_ENABLED", "GOROOT", "GOCACHE", "GOENV", "GOTMPDIR"} {
		if v, ok := def[k]; ok {
			env = append(env, k+"="+v)
		} else if v := set[k]; v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// stdArgs are the arguments that build the standard library as the
// image's go build std does: std itself, or, where the image's recipe
// removed packages' sources, the packages it kept.
func (w *warmer) stdArgs(ctx context.Context, flags ...string) ([]string, error) {
	args := append(append([]string{"build"}, flags...), "std")
	if w.stdDirs == nil {
		return args, nil
	}
	pkgs, err := w.listStd(ctx)
	if err != nil {
		return nil, err
	}
	var kept []string
	for _, p := range pkgs {
		if w.stdDirs[p] {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(pkgs) {
		return args, nil
	}
	if len(kept) == 0 {
		return nil, errors.New("warming the build cache: the image keeps the source of no standard-library package")
	}
	var gone []string
	for _, p := range pkgs {
		if !w.stdDirs[p] {
			gone = append(gone, p)
		}
	}
	w.note(fmt.Sprintf("std: the image lacks the source of %d standard-library packages (%s), which are not built", len(gone), strings.Join(gone, " ")))
	return append(append([]string{"build"}, flags...), kept...), nil
}

// note adds n to the notes once.
func (w *warmer) note(n string) {
	for _, x := range w.res.Notes {
		if x == n {
			return
		}
	}
	w.res.Notes = append(w.res.Notes, n)
}

// goRootPath is the image's go command path, as Steps record it.
func (w *warmer) goRootPath() string { return path.Join(w.goroot, "bin", "go") }
