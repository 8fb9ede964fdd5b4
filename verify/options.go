package verify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	gorootpkg "github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
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

// refGOCACHE is where WithReferenceBuildCache's directory is mounted.
const refGOCACHE = "/gorootimg-ref/gocache"

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
	platform    v1.Platform // to verify for; zero = the image's
	warmOnly    bool
	only        []string // probe names; nil = every probe the capabilities select
	refGOCACHE  string   // the reference's build cache; "" = a fresh one
}

// WithGOROOT sets where GOROOT lives in the image; by default the image's
// imageconfig.LabelGOROOT label, else goroot.DefaultImagePath.
func WithGOROOT(p string) Option {
	return func(o *options) error {
		if err := gorootpkg.CheckImagePath(p); err != nil {
			return fmt.Errorf("GOROOT path %w", err)
		}
		o.goroot = p
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

// WithPlatform sets the platform ("linux/arm64") to verify the image for.
// For an image of that platform other than the host's, its toolchain runs
// through a binfmt_misc emulator; for an image of the host's platform, its
// toolchain cross-compiles there, unless its recipe prunes platforms (the
// report then says the platform is not promised). Default: the image's own
// platform.
func WithPlatform(p v1.Platform) Option {
	return func(o *options) error {
		if p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("platform %q: want os/arch such as linux/arm64", imageref.FormatPlatform(p))
		}
		// Go has one SDK for all variants of an architecture.
		o.platform = v1.Platform{OS: p.OS, Architecture: p.Architecture}
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

// WithProbes runs only the named probes of the embedded suite (as the
// report names them: "build", "cross/windows-amd64"), among those the
// capabilities select. An unknown name is an error.
func WithProbes(names ...string) Option {
	return func(o *options) error {
		if err := CheckProbes(names); err != nil {
			return err
		}
		o.only = append(o.only, names...)
		return nil
	}
}

// CheckProbes reports the first name that is not a probe of the embedded
// suite, listing the probes.
func CheckProbes(names []string) error {
	var all []string
	for _, p := range probes.Suite() {
		if !slices.Contains(all, p.Name) {
			all = append(all, p.Name)
		}
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			return fmt.Errorf("no probe named %q; the probes are: %s", n, strings.Join(all, ", "))
		}
	}
	return nil
}

// WithReferenceBuildCache makes the full SDK's probes use dir as their
// GOCACHE instead of a fresh one, so that several verifications of one
// release share the full SDK's compiled packages. The image's probes
// always start from an empty cache: their outcomes are what is verified.
// Share dir only between references of the same SDK.
func WithReferenceBuildCache(dir string) Option {
	return func(o *options) error {
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("reference build cache %q: want an absolute path", dir)
		}
		o.refGOCACHE = dir
		return nil
	}
}

// WithWarmOnly runs only the warm-cache checks (warm/no-std-compile,
// warm/build, warm/race) of an image that carries
// imageconfig.LabelWarmCache, not the probe suite. Verify fails on an
// image without that label.
func WithWarmOnly() Option {
	return func(o *options) error {
		o.warmOnly = true
		return nil
	}
}
