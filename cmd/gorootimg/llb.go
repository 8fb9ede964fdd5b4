package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/llbgen"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/sbom"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/warmcache"
)

// Files written per platform below --prepare DIR.
const (
	llbContextDir = "goroot"      // the local context: --local goroot=DIR/<os>-<arch>/goroot
	llbDefFile    = "llb.pb"      // the definition, as on stdout
	llbConfigFile = "config.json" // the image config
	llbAttrFile   = "output-attr" // containerimage.config=..., quoted for buildctl --output
)

func init() {
	register(&command{
		name:    "llb",
		summary: "write a BuildKit LLB definition of the image build would make",
		usage:   "gorootimg llb [--go SPEC] [--platform P] [--recipe NAME] [--base REF] [--warm-cache LIST] [--prepare DIR [--sbom spdx]] [--print llb|config|output-attr]",
		long: `
Writes to stdout a BuildKit LLB definition that 'buildctl build' reads
from stdin: the --base image (pinned by digest), whatever it has at
--goroot-path removed, and the pruned GOROOT copied there from a local
context named "goroot", owned by root with every time set to
SOURCE_DATE_EPOCH or the release time, then the go front that keeps the
warm cache under a read-only root (a small static go compiled with the
release, carried in the definition), as build lays it. The same inputs
give the same bytes.

The pruned tree reaches BuildKit as that local context: --prepare DIR
resolves --go, applies --recipe and writes, for each platform, DIR/OS-ARCH/
holding goroot/ (pass it as --local goroot=DIR/OS-ARCH/goroot), llb.pb (the
definition), config.json (the image config, the one gorootimg build
makes: Env, labels) and output-attr (that config as the
containerimage.config exporter attribute, quoted for buildctl --output);
--sbom spdx adds sbom.spdx.json. A raw definition has no frontend to carry
the image config, so pass it to the exporter:

	gorootimg llb --go 1.24.5 --base debian:bookworm-slim --prepare ctx > llb.pb
	buildctl build --local goroot=ctx/linux-amd64/goroot \
	  --output "type=image,name=registry.example/go:1.24,push=true,oci-mediatypes=true,$(cat ctx/linux-amd64/output-attr)" < llb.pb

One definition describes one platform. With several --platform values,
--prepare is required and stdout lists each platform's directory; run
buildctl once per platform (BuildKit builds other platforms' definitions
without emulation unless --warm-cache: otherwise nothing is executed).

--warm-cache LIST (std, race; else the recipe's warm-cache) adds the
image's build cache as one more layer, as build --warm-cache does, but
built by BuildKit: the image's own go builds a small driver (embedded in
gorootimg) and the driver builds LIST into GOCACHE with the config's Env
and applies warmcache's rules. These steps execute in the image, so a
foreign platform needs emulation in buildkitd.

--print config or --print output-attr print the config instead of the
definition (one platform).`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			sf, rf, f := registerLLBFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("llb takes no arguments; give the SDK with --go")
				}
				return runLLB(ctx, e, sf, rf, f)
			}
		},
	})
}

// registerLLBFlags declares llb's flags on fs.
func registerLLBFlags(fs *pflag.FlagSet) (*sdkFlags, *remoteFlags, *llbFlags) {
	sf, rf, f := &sdkFlags{}, &remoteFlags{}, &llbFlags{}
	sf.register(fs)
	rf.register(fs)
	bindSpec(fs, &f.spec, llbSpecUsage, specKeysBut(llbSpecOmitted...)...)
	fs.StringVar(&f.prepare, "prepare", "", "write each platform's local context, definition and config below this new directory")
	fs.StringVar(&f.print, "print", "llb", "what stdout gets for one platform: llb, config or output-attr")
	return sf, rf, f
}

// llbFlags are llb's flags: the image spec (but the keys of
// llbSpecOmitted, and --goroot-path, which sdkFlags declares) and where the
// definition goes.
type llbFlags struct {
	spec           imagespec.Spec
	prepare, print string
}

// llbSpecOmitted are the spec keys llb has no flag for: BuildKit's
// exporter compresses the layers (buildctl --output compression=,
// compression-level=), the definition copies the GOROOT as one layer, and
// buildctl attaches its own provenance (--opt attest:provenance=).
var llbSpecOmitted = []string{"goroot-path", "compression", "compression-level", "layers", "provenance"}

// llbSpecUsage is the help of llb's spec flags where it differs from build's.
var llbSpecUsage = map[string]string{
	"base":       "base image: a registry REF (BuildKit pulls it) or scratch",
	"sbom":       `with --prepare, also write an SBOM of the prepared GOROOT: "spdx"`,
	"warm-cache": "build these into the image's build cache as one more layer, in the BuildKit build: std, race (overrides the recipe's warm-cache)",
}

// imageSpec is the spec the flags give, with --goroot-path.
func (f *llbFlags) imageSpec(sf *sdkFlags) imagespec.Spec {
	s := f.spec
	s.GOROOTPath = sf.gorootPath
	return s
}

// llbPlatform is one platform's definition and config.
type llbPlatform struct {
	sdk     *sdk.SDK
	def     []byte
	config  *v1.ConfigFile
	attr    string
	meta    imageconfig.Meta
	mtime   time.Time
	dirName string // "linux-amd64"
}

// checkLLBFlags checks the flags of llb before anything is resolved.
func checkLLBFlags(sf *sdkFlags, f *llbFlags) error {
	switch f.print {
	case "llb", "config", "output-attr":
	default:
		return usagef("--print %q: want llb, config or output-attr", f.print)
	}
	spec := f.imageSpec(sf)
	if err := spec.Validate(); err != nil {
		return specError(err, true)
	}
	if spec.SBOM != "" && f.prepare == "" {
		return usagef("--sbom needs --prepare: the SBOM describes the prepared tree")
	}
	platforms, err := parsePlatforms(sf.platforms)
	if err != nil {
		return err
	}
	if len(platforms) > 1 && f.prepare == "" {
		return usagef("--platform names %d platforms and a definition describes one: add --prepare DIR to write one per platform", len(platforms))
	}
	if len(platforms) > 1 && f.print != "llb" {
		return usagef("--print %s prints one platform's config; with several, read DIR/OS-ARCH/%s", f.print, llbConfigFile)
	}
	if err := checkGOROOTPath(sf.gorootPath); err != nil {
		return err
	}
	if f.prepare != "" {
		if ents, err := os.ReadDir(f.prepare); err == nil && len(ents) > 0 {
			return usagef("--prepare %s: directory exists and is not empty; remove it or name a new one", f.prepare)
		}
	}
	return nil
}

func runLLB(ctx context.Context, e *env, sf *sdkFlags, rf *remoteFlags, f *llbFlags) error {
	if err := checkLLBFlags(sf, f); err != nil {
		return err
	}
	mtime, err := sourceDateEpoch(e.getenv)
	if err != nil {
		return err
	}
	platforms, err := parsePlatforms(sf.platforms)
	if err != nil {
		return err
	}
	for _, p := range platforms {
		if p.OS == "windows" {
			return usagef("--platform %s: llb describes Linux images (a BuildKit copy into a Linux file system); build a Windows image with gorootimg build (docs/windows.md)", imageref.FormatPlatform(p))
		}
	}
	spec := f.imageSpec(sf)
	img, err := spec.Resolve(ctx, platforms, imagespec.WithRemote(rf.options()...))
	if err != nil {
		return specError(err, false)
	}
	if !img.Base.IsScratch() && img.Base.Kind != imageref.KindRemote {
		return usagef("--base %s: BuildKit pulls the base itself, so llb takes a registry reference or scratch", spec.Base)
	}
	warm, err := llbWarmList(img.WarmCache)
	if err != nil {
		return err
	}
	sdks, err := sf.resolve(ctx, e, rf)
	if err != nil {
		return err
	}
	var out []*llbPlatform
	for _, s := range sdks {
		lp, err := llbFor(ctx, s, img, mtime, warm, sf.hostSDK(e, rf), e.logf)
		if err != nil {
			return err
		}
		out = append(out, lp)
	}
	if f.prepare != "" {
		for _, lp := range out {
			if err := prepareLLB(ctx, e, f, lp, img); err != nil {
				return err
			}
		}
	}
	if len(out) > 1 {
		for _, lp := range out {
			fmt.Fprintf(e.stdout, "%s\t%s\n", imageref.FormatPlatform(lp.sdk.Platform()), filepath.Join(f.prepare, lp.dirName))
		}
		return nil
	}
	lp := out[0]
	switch f.print {
	case "config":
		b, err := json.MarshalIndent(lp.config, "", "\t")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	case "output-attr":
		_, err := fmt.Fprintln(e.stdout, lp.attr)
		return err
	}
	_, err = e.stdout.Write(lp.def)
	return err
}

// llbWarmList is the spec's warm list (else the recipe's), limited to
// the variants the in-build driver makes.
func llbWarmList(l []warmcache.Variant) ([]string, error) {
	var out []string
	for _, v := range l {
		if !slices.Contains(warmcache.DriverVariants, v) {
			return nil, usagef("--warm-cache %s: llb builds std and race in the BuildKit build; for %s use gorootimg build --warm-cache", v, v)
		}
		out = append(out, string(v))
	}
	return out, nil
}

// llbFor makes one platform's definition and config; the config comes
// from assemble.ImageConfig and assemble.FinishConfig, and the go front
// from assemble.Front, as build's images get theirs.
func llbFor(ctx context.Context, s *sdk.SDK, img *imagespec.Resolved, epoch time.Time, warm []string, host assemble.HostSDKFunc, logf func(string, ...any)) (*llbPlatform, error) {
	mtime, err := imageconfig.Created(epoch, s.Tree())
	if err != nil {
		return nil, err
	}
	p := s.Platform()
	spec := llbgen.Spec{Platform: p, Base: "scratch", GOROOTPath: img.GOROOT, Time: mtime}
	var baseImg v1.Image
	if !img.Base.IsScratch() {
		if baseImg, err = img.Base.Image(p); err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		d, err := baseImg.Digest()
		if err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		spec.Base = img.Base.Reference.Context().Digest(d.String()).String()
	}
	cfg, meta, err := assemble.ImageConfig(img, s, mtime, baseImg, len(warm) > 0)
	if err != nil {
		return nil, fmt.Errorf("--base: %w", err)
	}
	spec.Platform = meta.Platform
	// The file system layer build adds and the tools the base has, from
	// the same rules and the same base files (its layers are read here,
	// once per platform).
	var basePaths rootfs.Paths
	if baseImg != nil {
		if basePaths, err = rootfs.ImagePaths(baseImg); err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
	}
	if spec.FS, err = rootfs.Files(basePaths); err != nil {
		return nil, fmt.Errorf("--base: %w", err)
	}
	caps := assemble.MeasureTools(basePaths)
	if len(warm) > 0 {
		src, err := warmcache.DriverSource()
		if err != nil {
			return nil, err
		}
		// The warm step runs the image's go without the front, as build's.
		spec.Warm = &llbgen.Warm{List: warm, Env: slices.Clone(cfg.Config.Env), Driver: src}
	}
	front, note, err := assemble.Front(ctx, s, host, logf)
	if err != nil {
		return nil, err
	}
	if note != "" {
		logf("%s", note)
	}
	spec.Front, caps.ReadOnlyRoot = front, front != nil
	assemble.FinishConfig(cfg, caps, front != nil)
	def, err := llbgen.Marshal(ctx, spec)
	if err != nil {
		return nil, err
	}
	attr, err := llbgen.ExporterAttr(cfg)
	if err != nil {
		return nil, err
	}
	return &llbPlatform{sdk: s, def: def, config: cfg, attr: attr, meta: meta, mtime: mtime, dirName: s.GOOS + "-" + s.GOARCH}, nil
}

// prepareLLB writes one platform's directory below --prepare.
func prepareLLB(ctx context.Context, e *env, f *llbFlags, lp *llbPlatform, img *imagespec.Resolved) error {
	dir := filepath.Join(f.prepare, lp.dirName)
	s := lp.sdk
	work, err := os.MkdirTemp("", "gorootimg-llb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	_, kept, err := prune.Prepare(ctx, s.Tree(), img.Recipe, work)
	if err != nil {
		return err
	}
	if err := llbgen.Prepare(ctx, filepath.Join(dir, llbContextDir), kept, lp.mtime); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(lp.config, "", "\t")
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		llbDefFile:    lp.def,
		llbConfigFile: append(cfg, '\n'),
		llbAttrFile:   []byte(lp.attr + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("--prepare: %w", err)
		}
	}
	if img.SBOM {
		mod, _ := buildVersion()
		doc, err := sbom.Generate(ctx, sbom.Input{
			SDK: s, Recipe: img.Recipe.Name, RecipeDigest: img.Recipe.Digest(), Files: kept,
			GOROOTPath: img.GOROOT, Base: lp.meta.BaseName, BaseDigest: lp.meta.BaseDigest,
			Created: lp.mtime, Tool: "gorootimg " + mod,
		})
		if err != nil {
			return err
		}
		if _, err := sbom.WriteFile(dir, doc); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "gorootimg: prepared %s (%d files) for %s\n", dir, len(kept.Regular()), imageref.FormatPlatform(s.Platform()))
	return nil
}
