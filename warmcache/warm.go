package warmcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/layers"
)

// Image is the image whose cache is warmed.
type Image struct {
	// Root is the image's unpacked root file system on the host (base,
	// GOROOT and file-system layers). Warm adds what the sandbox needs
	// (/proc, /dev, /tmp: sandbox.PrepareRoot) and writes the cache at
	// GOCACHE below it; GOCACHE must not exist yet or be empty.
	Root string
	// Env is the image config's Env: the go command runs with exactly it.
	// It must set GOROOT and GOCACHE to absolute paths.
	Env []string
	// Time is the image's time (SOURCE_DATE_EPOCH or the release's).
	Time time.Time
}

// Option configures Warm.
type Option func(*options) error

type options struct {
	log        io.Writer
	hostGOROOT HostGOROOT
}

// WithLog makes Warm write a line per command (and its duration) to w.
func WithLog(w io.Writer) Option {
	return func(o *options) error {
		o.log = w
		return nil
	}
}

// Result is a warmed cache.
type Result struct {
	// GOCACHE is the cache's path inside the image.
	GOCACHE string
	// Entries are the cache as layer entries at GOCACHE, with their
	// parent directories (modes as in Root). Write them as one layer.
	Entries []layers.Entry
	// Files and Bytes count the cache's regular files and their content.
	Files int
	Bytes int64
	// GoVersion, GOOS, GOARCH, CGOEnabled ("1" or "0") and CC are what the
	// image's go command reported (go env): cgo is on when the image has
	// the C compiler CC names, else off, as the go command decides.
	GoVersion, GOOS, GOARCH, CGOEnabled, CC string
	// Path is how the cache was built: PathSandbox (the image's own go
	// command, chrooted into its root file system) or PathHost (the
	// host's toolchain of the same release, without privileges).
	Path string
	// Steps are the commands run, in order.
	Steps []Step
	// Notes say what was not built and why, or what limits the cache.
	Notes []string
}

// Step is one command run in the sandbox.
type Step struct {
	Variant  Variant       `json:"variant"`
	Args     []string      `json:"args"`
	Duration time.Duration `json:"duration"`
}

// Warm runs the image's go command in a sandbox chrooted into img.Root to
// build each variant of list into the image's GOCACHE, then makes the
// cache deterministic (see docs/warm-cache.md) and returns it as layer
// entries. A command that fails returns an error with its output.
func Warm(ctx context.Context, img Image, list []Variant, opts ...Option) (*Result, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	w, err := newWarmer(img, o)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(w.workDir)
	if err := w.probe(ctx, w.res.GOCACHE); err != nil {
		return nil, err
	}
	for _, v := range list {
		if err := w.build(ctx, v); err != nil {
			return nil, err
		}
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	return w.res, nil
}

// The paths Result.Path names.
const (
	// PathSandbox runs the image's own go command chrooted into the
	// image's root file system: it needs root, and a foreign platform
	// needs qemu-user (binfmt_misc).
	PathSandbox = "sandbox"
	// PathHost runs the host-platform toolchain of the image's release
	// for the image's GOOS/GOARCH: no privileges, no emulation. Only for
	// a cache that does not involve a C compiler (docs/warm-cache.md).
	PathHost = "host"
)

func newOptions(opts []Option) (*options, error) {
	o := &options{log: io.Discard}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// checkEnv checks that env sets GOROOT and GOCACHE to absolute clean paths.
func checkEnv(env map[string]string) error {
	for _, k := range []string{"GOROOT", "GOCACHE"} {
		if v := env[k]; !path.IsAbs(v) || path.Clean(v) != v || v == "/" {
			return fmt.Errorf("warming the build cache: the image's %s is %q, want an absolute clean path", k, v)
		}
	}
	return nil
}

// warmer holds one Warm's state.
type warmer struct {
	img     Image
	o       *options
	sb      *sandbox.Sandbox // nil on the host path
	goroot  string           // inside the image
	cache   string           // host path of GOCACHE
	workDir string           // host path of the commands' work dir
	parents []layers.Entry
	res     *Result
	// stdDirs, on the host path, are the image's standard-library
	// directories (imageFacts); nil in the sandbox, which has the image's.
	stdDirs map[string]bool
	// command returns the go command with args, run in the work dir.
	command func(ctx context.Context, args []string) *exec.Cmd
}

func newWarmer(img Image, o *options) (*warmer, error) {
	if img.Time.IsZero() {
		return nil, errors.New("warming the build cache: the image time is not set")
	}
	if err := sandbox.CheckTools(); err != nil {
		return nil, fmt.Errorf("warming the build cache: %w", err)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("warming the build cache: the sandbox needs root (chroot and mount namespaces)")
	}
	env := envMap(img.Env)
	if err := checkEnv(env); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(img.Root)
	if err != nil {
		return nil, err
	}
	w := &warmer{
		img:    img,
		o:      o,
		sb:     &sandbox.Sandbox{Root: root},
		goroot: env["GOROOT"],
		cache:  filepath.Join(root, filepath.FromSlash(env["GOCACHE"])),
		res:    &Result{GOCACHE: env["GOCACHE"], Path: PathSandbox},
	}
	w.command = func(ctx context.Context, args []string) *exec.Cmd {
		argv := append([]string{path.Join(w.goroot, "bin", "go")}, args...)
		return w.sb.Command(ctx, w.workDir, w.img.Env, argv)
	}
	if err := checkTimes(root, env["GOROOT"]); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(w.cache); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("warming the build cache: %s is not empty in the image's file system", w.res.GOCACHE)
	}
	if err := sandbox.PrepareRoot(root); err != nil {
		return nil, err
	}
	if w.parents, err = makeParents(root, w.res.GOCACHE); err != nil {
		return nil, err
	}
	for _, p := range w.parents {
		if p.Mode&0o001 == 0 {
			w.res.Notes = append(w.res.Notes, fmt.Sprintf("/%s is %04o: only its owner reaches the warm cache at %s", p.Name, p.Mode.Perm(), w.res.GOCACHE))
		}
	}
	if err := os.MkdirAll(w.cache, 0o755); err != nil {
		return nil, fmt.Errorf("warming the build cache: %w", err)
	}
	if w.workDir, err = os.MkdirTemp(filepath.Join(root, "tmp"), "gorootimg-warm-"); err != nil {
		return nil, fmt.Errorf("warming the build cache: %w", err)
	}
	return w, nil
}

// checkTimes refuses a root whose GOROOT has the time it was copied at
// rather than its layer's: the go command keys its package index entries
// on the source files' times (and skips files newer than 2s), so such a
// cache would differ from run to run and miss in a container.
func checkTimes(root, goroot string) error {
	fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(goroot), "VERSION"))
	if err != nil {
		return fmt.Errorf("warming the build cache: the image has no %s/VERSION: %w", goroot, err)
	}
	if time.Since(fi.ModTime()) < time.Minute {
		return fmt.Errorf("warming the build cache: %s/VERSION in the root is dated %v, not its layer's time: unpack the image keeping file times (sandbox.ExtractImage)", goroot, fi.ModTime().Format(time.RFC3339))
	}
	return nil
}

// makeParents returns the entries of GOCACHE's parent directories with the
// modes and owners they have in root, creating missing ones with 0755
// owned by root, so the layer does not change a base's directory.
func makeParents(root, gocache string) ([]layers.Entry, error) {
	var dirs []string
	for dir := path.Dir(gocache); dir != "/"; dir = path.Dir(dir) {
		dirs = append([]string{dir}, dirs...)
	}
	var out []layers.Entry
	for _, dir := range dirs { // top down, so a file in the way is named
		host := filepath.Join(root, filepath.FromSlash(dir))
		fi, err := os.Lstat(host)
		created := false
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(host, 0o755); err != nil {
				return nil, fmt.Errorf("warming the build cache: %w", err)
			}
			fi, err = os.Lstat(host)
			created = true
		}
		if err != nil {
			return nil, fmt.Errorf("warming the build cache: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("warming the build cache: %s in the image is not a directory (%v); set GOCACHE below a real directory", dir, fi.Mode().Type())
		}
		e := layers.Entry{Name: strings.TrimPrefix(dir, "/"), Mode: fs.ModeDir | fi.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid)}
		if !created {
			// The base's owner: a /go owned by gopher stays gopher's.
			e.UID, e.GID = owner(fi)
		} // else root's, as rootfs makes its directories
		out = append(out, e)
	}
	return out, nil
}

// run runs the image's go command with args in the sandbox and returns its
// standard output; a failure carries the combined output.
func (w *warmer) run(ctx context.Context, v Variant, args ...string) ([]byte, error) {
	cmd := w.command(ctx, args)
	argv := append([]string{path.Join(w.goroot, "bin", "go")}, args...)
	var stdout, both strings.Builder
	cmd.Stdout = io.MultiWriter(&stdout, &both)
	cmd.Stderr = &both
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	shown := args
	if len(shown) > 8 {
		shown = append(shown[:8:8], fmt.Sprintf("... (%d more)", len(args)-8))
	}
	fmt.Fprintf(w.o.log, "warmcache: go %s (%.1fs)\n", strings.Join(shown, " "), d.Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		hint := ""
		if v == Race && w.res.CGOEnabled == "0" {
			hint = " (cgo is off: the race detector needs a C compiler and the image has none)"
		}
		return nil, fmt.Errorf("warming the build cache (%s): go %s: %w%s\n%s", v, strings.Join(shown, " "), err, hint, strings.TrimSpace(both.String()))
	}
	if v != "" {
		if len(argv) > 8 {
			argv = append(argv[:8:8], fmt.Sprintf("... (%d more packages)", len(argv)-8))
		}
		w.res.Steps = append(w.res.Steps, Step{Variant: v, Args: argv, Duration: d})
	}
	return []byte(stdout.String()), nil
}

// probe asks the go command what it will build with; gocache is the
// GOCACHE it must report.
func (w *warmer) probe(ctx context.Context, gocache string) error {
	out, err := w.run(ctx, "", "env", "-json", "GOVERSION", "GOOS", "GOARCH", "CGO_ENABLED", "CC", "GOCACHE")
	if err != nil {
		return err
	}
	var ge map[string]string
	if err := json.Unmarshal(out, &ge); err != nil {
		return fmt.Errorf("warming the build cache: reading go env: %w", err)
	}
	if ge["GOCACHE"] != gocache {
		return fmt.Errorf("warming the build cache: the go command uses GOCACHE %q, not %q", ge["GOCACHE"], gocache)
	}
	r := w.res
	r.GoVersion, r.GOOS, r.GOARCH, r.CGOEnabled, r.CC = ge["GOVERSION"], ge["GOOS"], ge["GOARCH"], ge["CGO_ENABLED"], ge["CC"]
	if r.CGOEnabled != "1" {
		r.Notes = append(r.Notes, fmt.Sprintf("cgo is off (the image has no C compiler %q, or sets CGO_ENABLED=0): the cache holds the pure-Go standard library", r.CC))
	}
	return nil
}

// onDemandTools are the tools Go 1.25 stopped shipping prebuilt, which
// go tool builds from src/cmd when asked.
var onDemandTools = []string{"addr2line", "buildid", "covdata", "doc", "nm", "objdump", "pack", "pprof", "test2json", "trace"}

// build builds one variant into the cache.
func (w *warmer) build(ctx context.Context, v Variant) error {
	switch v {
	case Std, Race:
		var flags []string
		if v == Race {
			flags = []string{"-race"}
		}
		args, err := w.stdArgs(ctx, flags...)
		if err != nil {
			return err
		}
		_, err = w.run(ctx, v, args...)
		return err
	case Vet:
		return w.buildVet(ctx)
	case Tools:
		return w.buildTools(ctx)
	}
	return fmt.Errorf("warm cache item %q: want %s", v, joinVariants())
}

// buildTools builds each on-demand tool the image keeps the source of, as
// go tool does before running it (-n: build, print, do not run).
func (w *warmer) buildTools(ctx context.Context) error {
	if minor(w.res.GoVersion) < 25 {
		w.res.Notes = append(w.res.Notes, fmt.Sprintf("tools: %s ships its tools prebuilt: nothing to build", w.res.GoVersion))
		return nil
	}
	groot := filepath.Join(w.sb.Root, filepath.FromSlash(w.goroot))
	toolDir := filepath.Join(groot, "pkg", "tool", w.res.GOOS+"_"+w.res.GOARCH)
	var built []string
	for _, t := range onDemandTools {
		if _, err := os.Stat(filepath.Join(toolDir, t)); err == nil {
			continue // shipped prebuilt
		}
		if _, err := os.Stat(filepath.Join(groot, "src", "cmd", t)); err != nil {
			continue // pruned from the image
		}
		if _, err := w.run(ctx, Tools, "tool", "-n", t); err != nil {
			return err
		}
		built = append(built, t)
	}
	if len(built) == 0 {
		w.res.Notes = append(w.res.Notes, "tools: the image keeps the source of no on-demand tool: nothing to build")
	}
	return nil
}

// minor returns the minor version of "go1.N[.P]", or 0.
func minor(v string) int {
	s, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return 0
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}
