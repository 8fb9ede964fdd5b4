package verify

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
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	gorootpkg "github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/hostrun"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// Verify runs the probe suite with the GOROOT of img and with the full SDK
// of the same release, and compares the outcomes and artifacts. The
// returned report says per probe whether it passed; an error means
// verification could not be carried out at all.
//
// An image for another platform than the host's runs through a
// binfmt_misc emulator (ModeEmulated); WithPlatform naming a platform the
// image is not for verifies its toolchain cross-compiling there
// (ModeCross), or reports that its recipe does not promise it. Both run a
// subset of the probes (docs/diff-verify.md) and compare with the host's
// full SDK cross-compiling to that platform.
func Verify(ctx context.Context, img v1.Image, opts ...Option) (*Report, error) {
	start := time.Now()
	v := &verifier{opts: options{sandbox: SandboxAuto}}
	for _, opt := range opts {
		if err := opt(&v.opts); err != nil {
			return nil, err
		}
	}
	rep, labels, err := v.inspect(img)
	if err != nil {
		return nil, err
	}
	recipe, err := v.resolveRecipe(rep)
	if err != nil {
		return nil, err
	}
	if rep.Mode == ModeCross && recipe != nil && recipe.PrunesPlatform() {
		rep.NotPromised = fmt.Sprintf("recipe %s prunes platforms (%s): its %s image does not promise to build for %s", recipe.Name, recipe.Scope(), rep.Platform, rep.Target)
		return rep, nil
	}
	if err := v.chooseSandbox(rep); err != nil {
		return nil, err
	}
	work := v.opts.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "gorootimg-verify-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	}
	if work, err = filepath.Abs(work); err != nil {
		return nil, err
	}
	t, err := v.extract(ctx, img, work, rep)
	if err != nil {
		return nil, err
	}
	if err := v.toolchain(ctx, labels, rep, t); err != nil {
		return nil, err
	}
	caps, err := v.capabilities(rep, recipe)
	if err != nil {
		return nil, err
	}
	mods, modNames, err := v.copyModules(t.runDir)
	if err != nil {
		return nil, err
	}
	warm := labels[imageconfig.LabelWarmCache]
	if v.opts.warmOnly && warm == "" {
		return nil, fmt.Errorf("the image has no %s label, so it has no warm cache to check", imageconfig.LabelWarmCache)
	}
	if v.opts.warmOnly {
		rep.Capabilities, rep.CapabilitySource = nil, "--warm-only: the warm-cache checks, not the probe suite"
	} else {
		ref, err := v.reference(ctx, rep, caps, mods, t)
		if err != nil {
			return nil, err
		}
		got, err := v.runImage(ctx, rep, caps, mods, t)
		if err != nil {
			return nil, err
		}
		rep.judge(ref, got, modNames)
	}
	if warm != "" {
		if err := v.warmChecks(ctx, rep, img, warm, t); err != nil {
			return nil, fmt.Errorf("checking the warm cache: %w", err)
		}
	}
	if rep.Mode != ModeNative {
		rep.Elapsed = time.Since(start).Round(time.Second)
	}
	return rep, nil
}

// verifier runs one verification: the options the caller gave, and what
// it learns about the image on the way.
type verifier struct {
	opts options
	// goroot is the image's GOROOT path: WithGOROOT's, else its
	// imageconfig.LabelGOROOT label, else goroot.DefaultImagePath.
	goroot string
	// host is this machine's platform; target the one the probes build
	// for (the image's, or WithPlatform's).
	host, target v1.Platform
}

func (v *verifier) logf(format string, args ...any) {
	if v.opts.log != nil {
		fmt.Fprintf(v.opts.log, format+"\n", args...)
	}
}

// inspect reads the image's configuration: its platform, the mode and
// target the verification runs in, its recipe label and GOROOT.
func (v *verifier) inspect(img v1.Image) (*Report, map[string]string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("reading image config: %w", err)
	}
	labels := cf.Config.Labels
	imgPlatform := v1.Platform{OS: cf.OS, Architecture: cf.Architecture}
	v.host, v.target = imageref.HostPlatform(), imgPlatform
	if v.opts.platform.OS != "" {
		v.target = v.opts.platform
	}
	rep := &Report{
		Platform: imageref.FormatPlatform(imgPlatform),
		Recipe:   labels[imageconfig.LabelRecipe],
		CanRun:   labels[imageconfig.LabelCapabilities],
	}
	if cf.OS == "windows" && v.host.OS != "windows" {
		if v.opts.platform.OS != "" && !v.opts.platform.Equals(imgPlatform) {
			return nil, nil, fmt.Errorf("the image is for %s: verify checks a Windows image for its own platform only", rep.Platform)
		}
		return rep, labels, v.inspectWindows(img, rep, labels)
	}
	host, target := imageref.FormatPlatform(v.host), imageref.FormatPlatform(v.target)
	switch {
	case target != rep.Platform && rep.Platform != host:
		return nil, nil, fmt.Errorf("the image is for %s, not %s: verify cross-compiles to another platform only with an image for this host, %s", rep.Platform, target, host)
	case target != rep.Platform:
		rep.Mode, rep.Target, rep.Host = ModeCross, target, host
	case target != host:
		rep.Mode, rep.Target, rep.Host = ModeEmulated, target, host
	}
	v.goroot = v.opts.goroot
	if v.goroot == "" {
		v.goroot = gorootpkg.DefaultImagePath
		if g := labels[imageconfig.LabelGOROOT]; strings.HasPrefix(g, "/") {
			v.goroot = path.Clean(g)
		}
	}
	rep.GOROOT = v.goroot
	return rep, labels, nil
}

// chooseSandbox decides whether the probes run chrooted into the image.
func (v *verifier) chooseSandbox(rep *Report) error {
	if rep.Mode == ModeWindows {
		v.logf("verify: a Windows image's file system cannot be a chroot here: running its GOROOT files directly on this host")
		return nil
	}
	switch v.opts.sandbox {
	case SandboxOn:
		if os.Geteuid() != 0 {
			return errors.New("the sandbox needs root (chroot and mount namespaces)")
		}
		if err := sandbox.CheckTools(); err != nil {
			return err
		}
		rep.Sandboxed = true
	case SandboxAuto:
		if os.Geteuid() == 0 && sandbox.CheckTools() == nil {
			rep.Sandboxed = true
		} else {
			v.logf("verify: not running as root (or unshare/mount missing): running the image's Go toolchain directly on this host, without its base image; cgo probes are skipped")
		}
	}
	return nil
}

// tree is the extracted image: where its GOROOT is on the host, where the
// probes run, and the sandbox (nil when not sandboxed).
type tree struct {
	goroot, runDir string
	sb             *sandbox.Sandbox
}

// extract unpacks the image's file system (sandboxed) or its GOROOT below
// work.
func (v *verifier) extract(ctx context.Context, img v1.Image, work string, rep *Report) (*tree, error) {
	t := &tree{}
	if rep.Sandboxed {
		rootfs := filepath.Join(work, "rootfs")
		if err := os.MkdirAll(rootfs, 0o755); err != nil {
			return nil, err
		}
		v.logf("verify: unpacking the image's file system")
		if err := sandbox.ExtractImage(ctx, img, rootfs); err != nil {
			return nil, fmt.Errorf("unpacking the image: %w", err)
		}
		if err := sandbox.PrepareRoot(rootfs); err != nil {
			return nil, err
		}
		t.goroot = filepath.Join(rootfs, filepath.FromSlash(v.goroot))
		t.runDir = filepath.Join(rootfs, "tmp", "gorootimg-verify")
		t.sb = &sandbox.Sandbox{Root: rootfs, Binds: map[string]string{}}
		rep.CCompiler = findCC(rootfs)
	} else {
		t.goroot = filepath.Join(work, "goroot")
		v.logf("verify: extracting %s from the image", v.goroot)
		root := v.goroot
		if rep.Mode == ModeWindows {
			root = windowsLayerRoot(v.goroot)
		}
		if err := sdk.ExtractGOROOT(ctx, img, root, t.goroot); err != nil {
			return nil, fmt.Errorf("extracting GOROOT: %w", err)
		}
		t.runDir = filepath.Join(work, "run")
	}
	goBin := filepath.Join(t.goroot, "bin", "go")
	if rep.Mode == ModeWindows {
		goBin += ".exe"
	}
	if _, err := os.Stat(goBin); err != nil {
		return nil, fmt.Errorf("the image has no %s/bin/go; is --goroot-path right?", v.goroot)
	}
	return t, nil
}

// toolchain finds the image's release and what runs its toolchain: the
// emulator of a foreign image, or for a Windows image this host's
// toolchain of the release next to the image's files.
func (v *verifier) toolchain(ctx context.Context, labels map[string]string, rep *Report, t *tree) error {
	if err := rep.findRelease(labels, t.goroot); err != nil {
		return err
	}
	if err := v.findEmulator(rep, t); err != nil {
		return err
	}
	if rep.Mode == ModeWindows {
		return v.windowsToolchain(ctx, rep, t)
	}
	return nil
}

// findRelease sets the image's Go release from its label or VERSION file.
func (rep *Report) findRelease(labels map[string]string, goroot string) error {
	rep.GoVersion = labels[imageconfig.LabelGoVersion]
	if rep.GoVersion != "" {
		return nil
	}
	var err error
	if rep.GoVersion, _, err = gorootpkg.ReadVersion(goroot); err != nil {
		return fmt.Errorf("finding the image's Go release: no %s label and %w", imageconfig.LabelGoVersion, err)
	}
	return nil
}

// findEmulator finds the binfmt_misc handler a foreign verification needs:
// for the image's go command (ModeEmulated, which cannot run without one)
// or for the target's binaries (ModeCross, where the probes that run what
// they build are skipped without one).
func (v *verifier) findEmulator(rep *Report, t *tree) error {
	switch rep.Mode {
	case ModeEmulated:
		head, err := hostrun.FileHead(filepath.Join(t.goroot, "bin", "go"))
		if err != nil {
			return err
		}
		h, err := hostrun.Find(head, rep.Target)
		if err != nil {
			return fmt.Errorf("the image is for %s; running its toolchain on %s needs an emulator: %w", rep.Target, rep.Host, err)
		}
		if rep.Sandboxed && !h.Fixed() {
			return fmt.Errorf("%s lacks the F flag, so its interpreter cannot run inside the image's chroot: register it with F (docs/diff-verify.md) or use --sandbox off", h)
		}
		rep.Emulator = h.String()
	case ModeCross:
		if h, err := hostrun.Check(v.target.OS, v.target.Architecture); err == nil && h != nil {
			rep.Emulator = h.String()
		}
	}
	return nil
}

// resolveRecipe returns the recipe whose promises the image is held to:
// WithRecipe's, else the built-in one the label names, else nil (then
// everything is required).
func (v *verifier) resolveRecipe(rep *Report) (*recipes.Recipe, error) {
	switch {
	case v.opts.recipe != nil:
		rep.CapabilitySource = "recipe " + v.opts.recipe.Name
		return v.opts.recipe, nil
	case rep.Recipe == "":
		rep.CapabilitySource = "no recipe label: everything"
	case slices.Contains(recipes.Names(), rep.Recipe):
		rep.CapabilitySource = "recipe label " + rep.Recipe
		return recipes.Lookup(rep.Recipe)
	default:
		rep.CapabilitySource = fmt.Sprintf("recipe label %q is not a built-in recipe (pass --recipe FILE): everything", rep.Recipe)
	}
	return nil, nil
}

// capabilities decides what is checked: the recipe's promises for the
// image's release plus WithCapabilities, less what this environment
// cannot check (cgo without a C compiler; on a foreign platform, cgo and
// -race, which need the target's C toolchain). It sets rep.Capabilities,
// rep.Skipped and, on a foreign platform, rep.Subset.
func (v *verifier) capabilities(rep *Report, r *recipes.Recipe) ([]probes.Capability, error) {
	required, err := capabilitiesOf(r, rep.GoVersion)
	if err != nil {
		return nil, err
	}
	if r != nil && len(r.Capabilities) == 0 && len(r.CapabilitiesWhen) == 0 {
		rep.CapabilitySource += " promises nothing in particular: everything"
	}
	var caps []probes.Capability
	for _, c := range append(required, v.opts.extraCaps...) {
		if slices.Contains(caps, c) {
			continue
		}
		switch {
		case (c == probes.CGO || c == probes.Race) && rep.Mode != ModeNative:
			rep.Skipped = append(rep.Skipped, Skip{Capability: string(c), Reason: "needs a C toolchain for " + rep.Target + "; not checked on a foreign platform"})
			continue
		case (c == probes.CGO || c == probes.Race) && rep.CCompiler == "":
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
	if rep.Mode != ModeNative {
		canRun := rep.Mode == ModeEmulated || rep.Emulator != ""
		rep.Subset = foreignSubset(caps, canRun)
		if rep.Mode == ModeWindows {
			rep.Skipped = append(rep.Skipped, Skip{Capability: "run, test", Reason: "running " + rep.Target + " binaries needs a Windows host (wine 8 cannot start Go 1.22+ binaries): the probes that run what they build are skipped"})
		} else if !canRun {
			rep.Skipped = append(rep.Skipped, Skip{Capability: "run, test", Reason: "no emulator for " + rep.Target + " binaries here: the probes that run what they build are skipped"})
		}
	}
	if v.opts.only != nil {
		if rep.Subset = v.selected(caps, rep.Subset); len(rep.Subset) == 0 {
			return nil, fmt.Errorf("none of the probes %s checks what is required here (%s)", strings.Join(v.opts.only, ", "), strings.Join(rep.Capabilities, ", "))
		}
	}
	return caps, nil
}

// selected narrows the probes the capabilities select (or subset, when
// set) to WithProbes's names, in suite order; never nil.
func (v *verifier) selected(caps []probes.Capability, subset []string) []string {
	names := []string{}
	for _, p := range probes.Suite() {
		if slices.Contains(caps, p.Needs) && (subset == nil || slices.Contains(subset, p.Name)) &&
			slices.Contains(v.opts.only, p.Name) && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	return names
}

// capabilitiesOf returns what r promises for a release; every capability
// when r is nil or promises nothing in particular.
func capabilitiesOf(r *recipes.Recipe, version string) ([]probes.Capability, error) {
	if r == nil || len(r.Capabilities) == 0 && len(r.CapabilitiesWhen) == 0 {
		return slices.Clone(probes.AllCapabilities), nil
	}
	names, err := r.CapabilitiesFor(version)
	if err != nil {
		return nil, err
	}
	var caps []probes.Capability
	for _, c := range names {
		caps = append(caps, probes.Capability(c))
	}
	return caps, nil
}

// copyModules copies the user modules to one place both runs see at the
// same path; modNames maps each copy back to what the user gave.
func (v *verifier) copyModules(runDir string) (mods []string, modNames map[string]string, err error) {
	modNames = map[string]string{}
	for i, m := range v.opts.userModules {
		dst := filepath.Join(runDir, "modules", fmt.Sprintf("%d-%s", i, filepath.Base(m)))
		if err := copyTree(m, dst); err != nil {
			return nil, nil, fmt.Errorf("copying probe module %q: %w", m, err)
		}
		mods = append(mods, dst)
		modNames[dst] = m
	}
	return mods, modNames, nil
}

// env is the base environment of the probes and the wrapper that runs
// them in the sandbox (nil when not sandboxed).
func (t *tree) env(rep *Report) ([]string, probes.WrapFunc) {
	if t.sb == nil {
		return []string{"PATH=" + os.Getenv("PATH")}, nil
	}
	env := []string{"PATH=" + imageconfig.DefaultPATH}
	if rep.CCompiler != "" {
		env = append(env, "CC="+rep.CCompiler)
	}
	return env, func(ctx context.Context, dir string, env, argv []string) (*exec.Cmd, error) {
		return t.sb.Command(ctx, dir, env, argv), nil
	}
}

// only lists the probes to run: the foreign subset (nil = all) and the
// user-module probes.
func only(rep *Report, mods []string) []string {
	if rep.Subset == nil {
		return nil
	}
	names := slices.Clone(rep.Subset)
	for _, m := range mods {
		for _, n := range []string{"build", "vet", "test"} {
			names = append(names, "user:"+m+"/"+n)
		}
	}
	return names
}

// runImage runs the probes with the image's toolchain: natively, under
// the emulator, or cross-compiling to the target.
func (v *verifier) runImage(ctx context.Context, rep *Report, caps []probes.Capability, mods []string, t *tree) ([]probes.Result, error) {
	v.logf("verify: running %d capabilities with the image's toolchain", len(caps))
	imgDir := filepath.Join(t.runDir, "image")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, err
	}
	env, wrap := t.env(rep)
	po := probes.Options{
		Capabilities: caps,
		Only:         only(rep, mods),
		UserModules:  mods,
		WorkDir:      imgDir,
		Env:          env,
		Wrap:         wrap,
		Log:          prefixWriter(v.opts.log, "image: "),
	}
	if rep.Mode == ModeCross || rep.Mode == ModeWindows {
		po.GOOS, po.GOARCH = v.target.OS, v.target.Architecture
	}
	got, err := probes.Run(ctx, t.goroot, po)
	if err != nil {
		return nil, fmt.Errorf("running probes with the image's toolchain: %w", err)
	}
	return got, nil
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
