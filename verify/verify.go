package verify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// Sandbox modes.
const (
	// SandboxAuto sandboxes when running as root with unshare and mount
	// available, and otherwise runs the extracted toolchain directly.
	SandboxAuto = "auto"
	// SandboxOn requires the sandbox.
	SandboxOn = "on"
	// SandboxOff never sandboxes: only the image's GOROOT is extracted
	// and run on the host; cgo probes are skipped.
	SandboxOff = "off"
)

// refGOROOT is where the reference SDK is mounted inside the sandbox.
const refGOROOT = "/gorootimg-ref/go"

// Option configures Verify.
type Option func(*options) error

type options struct {
	goroot      string
	recipe      *recipes.Recipe
	userModules []string
	sdk         sdk.Options
	sandbox     string
	log         io.Writer
	workDir     string
	cache       *ReferenceCache
	extraCaps   []probes.Capability
	refSDK      *sdk.SDK
}

// WithGOROOT sets where GOROOT lives in the image; by default the image's
// imageconfig.LabelGOROOT label, else /usr/local/go.
func WithGOROOT(p string) Option {
	return func(o *options) error {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("GOROOT path %q: want an absolute path such as /usr/local/go", p)
		}
		o.goroot = path.Clean(p)
		return nil
	}
}

// WithRecipe sets the recipe whose capabilities must pass, instead of the
// one the image's imageconfig.LabelRecipe label names.
func WithRecipe(r *recipes.Recipe) Option {
	return func(o *options) error {
		o.recipe = r
		return nil
	}
}

// WithUserModules adds Go module directories to build, vet and test with
// both toolchains.
func WithUserModules(dirs ...string) Option {
	return func(o *options) error {
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err != nil {
				return fmt.Errorf("probe module %q: no go.mod: %w", d, err)
			}
			abs, err := filepath.Abs(d)
			if err != nil {
				return err
			}
			o.userModules = append(o.userModules, abs)
		}
		return nil
	}
}

// WithSDKOptions says how to fetch the reference SDK (cache, proxy).
func WithSDKOptions(s sdk.Options) Option {
	return func(o *options) error {
		o.sdk = s
		return nil
	}
}

// WithSandbox sets the sandbox mode: SandboxAuto (default), SandboxOn or
// SandboxOff.
func WithSandbox(mode string) Option {
	return func(o *options) error {
		switch mode {
		case SandboxAuto, SandboxOn, SandboxOff:
			o.sandbox = mode
			return nil
		}
		return fmt.Errorf("sandbox mode %q: want auto, on or off", mode)
	}
}

// WithLog writes progress lines (one per probe) to w.
func WithLog(w io.Writer) Option {
	return func(o *options) error {
		o.log = w
		return nil
	}
}

// WithWorkDir puts the unpacked image and the probe runs below dir instead
// of a temporary directory (which Verify removes). dir must exist.
func WithWorkDir(dir string) Option {
	return func(o *options) error {
		o.workDir = dir
		return nil
	}
}

// WithReferenceCache reuses reference results across Verify calls (images
// of the same release and platform, run in the same environment).
func WithReferenceCache(c *ReferenceCache) Option {
	return func(o *options) error {
		o.cache = c
		return nil
	}
}

// WithReferenceSDK uses s as the full SDK to compare with instead of
// fetching the image's release. It must be the same release.
func WithReferenceSDK(s *sdk.SDK) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("reference SDK: nil")
		}
		o.refSDK = s
		return nil
	}
}

// WithCapabilities adds capabilities to those the recipe promises (for
// example probes.Std).
func WithCapabilities(caps ...probes.Capability) Option {
	return func(o *options) error {
		o.extraCaps = append(o.extraCaps, caps...)
		return nil
	}
}

// Verify runs the probe suite with the GOROOT of img and with the full SDK
// of the same release, and compares the outcomes and artifacts. The
// returned report says per probe whether it passed; an error means
// verification could not be carried out at all.
func Verify(ctx context.Context, img v1.Image, opts ...Option) (*Report, error) {
	o := &options{sandbox: SandboxAuto}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	logf := func(format string, args ...any) {
		if o.log != nil {
			fmt.Fprintf(o.log, format+"\n", args...)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	labels := cf.Config.Labels
	rep := &Report{
		Platform: cf.OS + "/" + cf.Architecture,
		Recipe:   labels[imageconfig.LabelRecipe],
	}
	if cf.OS != runtime.GOOS || cf.Architecture != runtime.GOARCH {
		return nil, fmt.Errorf("the image is for %s; verify runs its toolchain and can only do so on %s/%s", rep.Platform, runtime.GOOS, runtime.GOARCH)
	}
	if o.goroot == "" {
		o.goroot = imageconfig.DefaultGOROOT
		if g := labels[imageconfig.LabelGOROOT]; strings.HasPrefix(g, "/") {
			o.goroot = path.Clean(g)
		}
	}
	rep.GOROOT = o.goroot

	// Sandbox or not.
	switch o.sandbox {
	case SandboxOn:
		if os.Geteuid() != 0 {
			return nil, errors.New("the sandbox needs root (chroot and mount namespaces)")
		}
		if err := sandbox.CheckTools(); err != nil {
			return nil, err
		}
		rep.Sandboxed = true
	case SandboxAuto:
		if os.Geteuid() == 0 && sandbox.CheckTools() == nil {
			rep.Sandboxed = true
		} else {
			logf("verify: not running as root (or unshare/mount missing): running the image's Go toolchain directly on this host, without its base image; cgo probes are skipped")
		}
	}

	work := o.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "gorootimg-verify-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	work, err = filepath.Abs(work)
	if err != nil {
		return nil, err
	}

	// Extract.
	var goroot, rootfs, runDir string
	var sb *sandbox.Sandbox
	if rep.Sandboxed {
		rootfs = filepath.Join(work, "rootfs")
		if err := os.MkdirAll(rootfs, 0o755); err != nil {
			return nil, err
		}
		logf("verify: unpacking the image's file system")
		if err := sandbox.ExtractImage(ctx, img, rootfs); err != nil {
			return nil, fmt.Errorf("unpacking the image: %w", err)
		}
		if err := sandbox.PrepareRoot(rootfs); err != nil {
			return nil, err
		}
		goroot = filepath.Join(rootfs, filepath.FromSlash(o.goroot))
		runDir = filepath.Join(rootfs, "tmp", "gorootimg-verify")
		sb = &sandbox.Sandbox{Root: rootfs, Binds: map[string]string{}}
		rep.CCompiler = findCC(rootfs)
	} else {
		goroot = filepath.Join(work, "goroot")
		logf("verify: extracting %s from the image", o.goroot)
		if err := sdk.ExtractGOROOT(ctx, img, o.goroot, goroot); err != nil {
			return nil, fmt.Errorf("extracting GOROOT: %w", err)
		}
		runDir = filepath.Join(work, "run")
	}
	if _, err := os.Stat(filepath.Join(goroot, "bin", "go")); err != nil {
		return nil, fmt.Errorf("the image has no %s/bin/go; is --goroot-path right?", o.goroot)
	}

	// The release.
	rep.GoVersion = labels[imageconfig.LabelGoVersion]
	if rep.GoVersion == "" {
		if rep.GoVersion, err = readVersion(filepath.Join(goroot, "VERSION")); err != nil {
			return nil, fmt.Errorf("finding the image's Go release: no %s label and %w", imageconfig.LabelGoVersion, err)
		}
	}

	// What must pass.
	required, source, err := requiredCapabilities(o.recipe, rep.Recipe)
	if err != nil {
		return nil, err
	}
	rep.CapabilitySource = source
	required = append(required, o.extraCaps...)
	var caps []probes.Capability
	for _, c := range required {
		if slices.Contains(caps, c) {
			continue
		}
		if (c == probes.CGO || c == probes.Race) && rep.CCompiler == "" {
			why := "the image has no C compiler"
			if !rep.Sandboxed {
				why = "not sandboxed: the image's C compiler cannot be used"
			}
			rep.Skipped = append(rep.Skipped, Skip{Capability: string(c), Reason: why})
			continue
		}
		caps = append(caps, c)
	}
	for _, c := range caps {
		rep.Capabilities = append(rep.Capabilities, string(c))
	}

	// User modules: copied to one place both runs see at the same path.
	var mods []string
	modNames := map[string]string{}
	for i, m := range o.userModules {
		dst := filepath.Join(runDir, "modules", fmt.Sprintf("%d-%s", i, filepath.Base(m)))
		if err := copyTree(m, dst); err != nil {
			return nil, fmt.Errorf("copying probe module %q: %w", m, err)
		}
		mods = append(mods, dst)
		modNames[dst] = m
	}

	env := []string{"PATH=" + imageconfig.DefaultPATH}
	var wrap probes.WrapFunc
	if rep.Sandboxed {
		if rep.CCompiler != "" {
			env = append(env, "CC="+rep.CCompiler)
		}
		wrap = func(ctx context.Context, dir string, env, argv []string) (*exec.Cmd, error) {
			return sb.Command(ctx, dir, env, argv), nil
		}
	} else {
		env = []string{"PATH=" + os.Getenv("PATH")}
	}

	// The reference: the full SDK of the same release.
	ref, err := o.reference(ctx, rep, caps, mods, runDir, env, sb, wrap, logf)
	if err != nil {
		return nil, err
	}

	// The image.
	logf("verify: running %d capabilities with the image's toolchain", len(caps))
	imgDir := filepath.Join(runDir, "image")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, err
	}
	got, err := probes.Run(ctx, goroot, probes.Options{
		Capabilities: caps,
		UserModules:  mods,
		WorkDir:      imgDir,
		Env:          env,
		Wrap:         wrap,
		Log:          prefixWriter(o.log, "image: "),
	})
	if err != nil {
		return nil, fmt.Errorf("running probes with the image's toolchain: %w", err)
	}
	rep.judge(ref, got, modNames)
	return rep, nil
}

// requiredCapabilities returns what must pass: the given recipe's
// capabilities, else those of the built-in recipe the label names, else
// everything.
func requiredCapabilities(r *recipes.Recipe, label string) ([]probes.Capability, string, error) {
	source := ""
	switch {
	case r != nil:
		source = "recipe " + r.Name
	case label == "":
		return slices.Clone(probes.AllCapabilities), "no recipe label: everything", nil
	case slices.Contains(recipes.Names(), label):
		var err error
		if r, err = recipes.Lookup(label); err != nil {
			return nil, "", err
		}
		source = "recipe label " + label
	default:
		return slices.Clone(probes.AllCapabilities), fmt.Sprintf("recipe label %q is not a built-in recipe (pass --recipe FILE): everything", label), nil
	}
	if len(r.Capabilities) == 0 {
		return slices.Clone(probes.AllCapabilities), source + " promises nothing in particular: everything", nil
	}
	var caps []probes.Capability
	for _, c := range r.Capabilities {
		caps = append(caps, probes.Capability(c))
	}
	return caps, source, nil
}

// readVersion reads the first line of a GOROOT's VERSION file.
func readVersion(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("reading VERSION: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() && strings.HasPrefix(sc.Text(), "go1") {
		return strings.TrimSpace(sc.Text()), nil
	}
	return "", fmt.Errorf("%s does not name a Go release", file)
}

// findCC returns the C compiler the sandboxed go command would find, as
// a path inside the root, or "".
func findCC(root string) string {
	for _, dir := range strings.Split(imageconfig.DefaultPATH, ":") {
		for _, name := range []string{"gcc", "cc", "clang"} {
			p := path.Join(dir, name)
			if fi, err := statIn(root, p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// statIn stats p inside root, following symlinks as the sandbox would
// (absolute targets are relative to root).
func statIn(root, p string) (os.FileInfo, error) {
	for hops := 0; hops < 40; hops++ {
		// Resolve each component so a symlinked parent (/bin -> usr/bin) works.
		parts := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
		cur := "/"
		resolved := true
		for i, part := range parts {
			next := path.Join(cur, part)
			fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(next)))
			if err != nil {
				return nil, err
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				target, err := os.Readlink(filepath.Join(root, filepath.FromSlash(next)))
				if err != nil {
					return nil, err
				}
				if !strings.HasPrefix(target, "/") {
					target = path.Join(cur, target)
				}
				p = path.Join(append([]string{target}, parts[i+1:]...)...)
				resolved = false
				break
			}
			cur = next
		}
		if resolved {
			return os.Stat(filepath.Join(root, filepath.FromSlash(cur)))
		}
	}
	return nil, fmt.Errorf("%s: too many symbolic links", p)
}
