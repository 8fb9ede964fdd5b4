package probes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
)

// Result is the outcome of one probe.
type Result struct {
	// Probe is the probe's name ("race"; "user:DIR/test" for user modules).
	Probe string `json:"probe"`
	// Pass is true when the command exited 0.
	Pass bool `json:"pass"`
	// Reason says why it failed: the command, its exit status and the last
	// lines of its output. Empty when Pass.
	Reason string `json:"reason,omitempty"`
	// Artifacts maps each artifact (a file the probe wrote below $OUT, a
	// file it changed in the module, or "stdout") to its sha256 in hex.
	Artifacts map[string]string `json:"artifacts,omitempty"`
}

// WrapFunc turns a command (its directory, complete environment and argv,
// argv[0] being an absolute path below goroot) into the *exec.Cmd to run,
// for example inside a chroot. Run sets Stdout and Stderr on the result.
type WrapFunc func(ctx context.Context, dir string, env, argv []string) (*exec.Cmd, error)

// Options configures Run.
type Options struct {
	// Capabilities selects the probes to run; nil means AllCapabilities.
	Capabilities []Capability
	// Only, when set, keeps only the probes whose names it lists.
	Only []string
	// UserModules are module directories to build, vet and test as well.
	UserModules []string
	// WorkDir receives the corpus, the outputs and (by default) GOCACHE
	// and GOPATH. It must exist. With Wrap, goroot and WorkDir must be
	// visible at the same paths inside the sandbox.
	WorkDir string
	// GOCACHE is the build cache to use; default WorkDir/gocache. Share it
	// only between runs of the same GOROOT tree.
	GOCACHE string
	// Env is the base environment (PATH, HOME, CC, proxy settings for user
	// modules). Run overrides GOROOT, GOCACHE, GOPATH, GOTOOLCHAIN, GOENV,
	// GOFLAGS, GOOS, GOARCH, CGO_ENABLED and puts GOROOT/bin first in PATH.
	Env []string
	// GOOS and GOARCH, when set, make every probe build for that target
	// (cross-compiling) unless the probe sets its own, as the cross probes
	// do. Probes that run what they build need the target to run here (a
	// binfmt_misc emulator).
	GOOS, GOARCH string
	// Wrap runs each command differently (a sandbox); nil runs it directly.
	Wrap WrapFunc
	// Log, if set, receives one line per probe as it finishes.
	Log io.Writer
}

// tailLines is how much output a failure reason quotes.
const tailLines = 15

// Run writes the corpus below opts.WorkDir and runs the selected probes
// with the Go SDK at goroot, in order. A probe that fails is a Result with
// Pass false, not an error; the error is for what stops the run (a bad
// option, a canceled context, an unwritable work dir).
func Run(ctx context.Context, goroot string, opts Options) ([]Result, error) {
	if opts.WorkDir == "" {
		return nil, errors.New("running probes: WorkDir not set")
	}
	caps := opts.Capabilities
	if caps == nil {
		caps = AllCapabilities
	}
	for _, c := range caps {
		if c != Std && !slices.Contains(AllCapabilities, c) {
			return nil, fmt.Errorf("running probes: unknown capability %q", c)
		}
	}
	work, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	modDir := filepath.Join(work, "corpus")
	if err := writeCorpus(modDir); err != nil {
		return nil, err
	}
	cache := opts.GOCACHE
	if cache == "" {
		cache = filepath.Join(work, "gocache")
	}
	var results []Result
	run := func(p Probe, dir, name string) error {
		if !slices.Contains(caps, p.Needs) || opts.Only != nil && !slices.Contains(opts.Only, name) {
			return nil
		}
		r, err := runProbe(ctx, goroot, work, cache, dir, name, p, opts)
		if err != nil {
			return err
		}
		if opts.Log != nil {
			status := "ok  "
			if !r.Pass {
				status = "FAIL"
			}
			fmt.Fprintf(opts.Log, "%s %s\n", status, name)
		}
		results = append(results, r)
		return nil
	}
	for _, p := range Suite() {
		if err := run(p, modDir, p.Name); err != nil {
			return results, err
		}
	}
	for _, m := range opts.UserModules {
		abs, err := filepath.Abs(m)
		if err != nil {
			return results, err
		}
		for _, p := range userProbes() {
			if err := run(p, abs, "user:"+m+"/"+p.Name); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

func writeCorpus(dir string) error {
	ar := txtar.Parse(corpus)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("writing probe corpus: %w", err)
	}
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing probe corpus: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing probe corpus: %w", err)
		}
	}
	return nil
}

// probeRun is one probe being run: its directories and environment.
type probeRun struct {
	p       Probe
	name    string
	goroot  string
	dir     string // where the commands run
	modDir  string // the module root
	out     string // $OUT
	scratch string // $SCRATCH
	env     []string
	opts    Options
}

func runProbe(ctx context.Context, goroot, work, cache, modDir, name string, p Probe, opts Options) (Result, error) {
	base := strings.NewReplacer("/", "_", ":", "_").Replace(name)
	pr := &probeRun{p: p, name: name, goroot: goroot, modDir: modDir, opts: opts,
		dir:     filepath.Join(modDir, filepath.FromSlash(p.Dir)),
		out:     filepath.Join(work, "out", base),
		scratch: filepath.Join(work, "scratch", base),
	}
	for _, d := range []string{pr.out, pr.scratch} {
		if err := os.RemoveAll(d); err != nil {
			return Result{}, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Result{}, err
		}
	}
	pr.env = probeEnv(opts.Env, goroot, work, cache, p.user)
	if opts.GOOS != "" {
		pr.env = setEnv(pr.env, "GOOS="+opts.GOOS)
		pr.env = setEnv(pr.env, "GOARCH="+opts.GOARCH)
	}
	for _, e := range p.Env {
		pr.env = setEnv(pr.env, pr.expand(e))
	}
	r := Result{Probe: name, Pass: true, Artifacts: map[string]string{}}
	for _, args := range p.Pre {
		if _, reason, err := pr.run(ctx, "go", args); err != nil || reason != "" {
			r.Pass, r.Reason = false, reason
			return r, err
		}
	}
	tool := p.Tool
	if tool == "" {
		tool = "go"
	}
	stdout, reason, err := pr.run(ctx, tool, p.Args)
	if err != nil {
		return Result{}, err
	}
	r.Pass, r.Reason = reason == "", reason
	if p.Stdout {
		r.Artifacts["stdout"] = pr.hash(stdout)
	}
	if err := pr.hashArtifacts(r.Artifacts); err != nil {
		return Result{}, fmt.Errorf("hashing artifacts of probe %s: %w", name, err)
	}
	return r, nil
}

func (pr *probeRun) expand(s string) string {
	return strings.NewReplacer("$OUT", pr.out, "$SCRATCH", pr.scratch).Replace(s)
}

// run runs one command of the probe. It returns the command's standard
// output and, when it failed, the reason; the error is for what stops the
// whole run (a canceled context, a Wrap that fails).
func (pr *probeRun) run(ctx context.Context, tool string, args []string) ([]byte, string, error) {
	argv := []string{filepath.Join(pr.goroot, "bin", tool)}
	for _, a := range args {
		argv = append(argv, pr.expand(a))
	}
	var cmd *exec.Cmd
	if pr.opts.Wrap != nil {
		var err error
		if cmd, err = pr.opts.Wrap(ctx, pr.dir, pr.env, argv); err != nil {
			return nil, "", fmt.Errorf("running probe %s: %w", pr.name, err)
		}
	} else {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = pr.dir, pr.env
	}
	var stdout, combined bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, &combined)
	cmd.Stderr = &combined
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	if runErr != nil {
		return stdout.Bytes(), fmt.Sprintf("%s %s: %v\n%s", tool, strings.Join(args, " "), runErr, tail(combined.String(), tailLines)), nil
	}
	return stdout.Bytes(), "", nil
}

func (pr *probeRun) hash(b []byte) string {
	if pr.p.SortedLines {
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		slices.Sort(lines)
		b = []byte(strings.Join(lines, "\n"))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// hashArtifacts records the files below $OUT and the probe's Files.
func (pr *probeRun) hashArtifacts(arts map[string]string) error {
	err := filepath.WalkDir(pr.out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pr.out, path)
		arts[filepath.ToSlash(rel)] = pr.hash(b)
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range pr.p.Files {
		b, err := os.ReadFile(filepath.Join(pr.modDir, filepath.FromSlash(f)))
		if err != nil {
			arts[f] = "missing"
			continue
		}
		arts[f] = pr.hash(b)
	}
	return nil
}

// probeEnv builds a command's environment from the caller's base.
func probeEnv(base []string, goroot, work, cache string, user bool) []string {
	var env []string
	for _, e := range base {
		k, _, _ := strings.Cut(e, "=")
		switch k {
		case "GOROOT", "GOCACHE", "GOPATH", "GOMODCACHE", "GOTOOLCHAIN", "GOENV", "GOFLAGS",
			"GOOS", "GOARCH", "CGO_ENABLED", "GOBIN", "GOEXPERIMENT", "GOAMD64", "GOARM64":
			continue
		}
		env = append(env, e)
	}
	path := filepath.Join(goroot, "bin")
	if p := getEnv(env, "PATH"); p != "" {
		path += string(os.PathListSeparator) + p
	} else {
		path += string(os.PathListSeparator) + "/usr/local/bin:/usr/bin:/bin"
	}
	env = setEnv(env, "PATH="+path)
	if getEnv(env, "HOME") == "" {
		env = setEnv(env, "HOME="+filepath.Join(work, "home"))
	}
	env = setEnv(env, "GOROOT="+goroot)
	env = setEnv(env, "GOCACHE="+cache)
	env = setEnv(env, "GOPATH="+filepath.Join(work, "gopath"))
	env = setEnv(env, "GOTOOLCHAIN=local")
	env = setEnv(env, "GOENV=off")
	env = setEnv(env, "GOTELEMETRY=off")
	if user {
		// Keep the module cache removable by whoever owns WorkDir.
		env = setEnv(env, "GOFLAGS=-modcacherw "+trimpath)
	} else {
		// The corpus has no dependencies: never touch the network.
		env = setEnv(env, "GOPROXY=off")
		env = setEnv(env, "GOFLAGS=-mod=mod "+trimpath)
	}
	return env
}

// trimpath is in every probe's GOFLAGS. Only -trimpath outputs are the
// same bytes from two GOROOTs, so the artifacts are built with it anyway;
// -trimpath is part of every package's cache key, so a probe without it
// would compile the standard library a second time (go test -race after
// go test -race -c -trimpath compiled 127 packages again).
const trimpath = "-trimpath"

func getEnv(env []string, k string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], k+"="); ok {
			return v
		}
	}
	return ""
}

func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	env = slices.DeleteFunc(slices.Clone(env), func(e string) bool { return strings.HasPrefix(e, k+"=") })
	return append(env, kv)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Compare lists the differences between two runs of the suite: a probe
// present in one run only, a different pass/fail outcome, and an artifact
// missing from one run or with a different sha256. No differences means
// the second GOROOT behaved exactly like the first.
func Compare(want, got []Result) []string {
	var diffs []string
	byName := func(rs []Result) map[string]Result {
		m := make(map[string]Result, len(rs))
		for _, r := range rs {
			m[r.Probe] = r
		}
		return m
	}
	w, g := byName(want), byName(got)
	var names []string
	for n := range w {
		names = append(names, n)
	}
	for n := range g {
		if _, ok := w[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		wr, wok := w[n]
		gr, gok := g[n]
		switch {
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: missing from the second run", n))
			continue
		case !wok:
			diffs = append(diffs, fmt.Sprintf("%s: missing from the first run", n))
			continue
		}
		if wr.Pass != gr.Pass {
			diffs = append(diffs, fmt.Sprintf("%s: pass=%v, want pass=%v\n%s", n, gr.Pass, wr.Pass, gr.Reason+wr.Reason))
		}
		var arts []string
		for a := range wr.Artifacts {
			arts = append(arts, a)
		}
		for a := range gr.Artifacts {
			if _, ok := wr.Artifacts[a]; !ok {
				arts = append(arts, a)
			}
		}
		slices.Sort(arts)
		arts = slices.Compact(arts)
		for _, a := range arts {
			ws, gs := wr.Artifacts[a], gr.Artifacts[a]
			switch {
			case gs == "":
				diffs = append(diffs, fmt.Sprintf("%s: artifact %s missing", n, a))
			case ws == "":
				diffs = append(diffs, fmt.Sprintf("%s: unexpected artifact %s", n, a))
			case ws != gs:
				diffs = append(diffs, fmt.Sprintf("%s: artifact %s sha256 %s, want %s", n, a, gs, ws))
			}
		}
	}
	return diffs
}
