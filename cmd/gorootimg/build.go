package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/build"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// defaultLayout is where build writes when no output is given.
const defaultLayout = "gorootimg-out"

func init() {
	register(&command{
		name:    "build",
		summary: "build a slim Go SDK image",
		usage:   "gorootimg build [--go SPEC] [--platform LIST] [--recipe NAME] [--base REF] [-t REF [--push]] [--oci-layout DIR] [--tarball FILE] [flags]",
		long: `
Builds one image per --platform: the --base image (scratch by default)
with the Go SDK given by --go, pruned by --recipe, at --goroot-path, and
puts them under one OCI image index. The config sets GOROOT, GOPATH=/go,
GOTOOLCHAIN=local, GOCACHE=/go/.cache/go-build, WorkingDir /go (unless
the base sets one) and a PATH starting with /go/bin and $GOROOT/bin.

Right above the base goes a small layer with what a Go build needs in a
container engine, only where the base lacks it: /tmp, /go/bin, /go/src
and the build cache directory writable by any user (1777), and a CA
bundle, /etc/passwd and /etc/group (root, nobody). See docs/engines.md.

The GOROOT goes in as a few layers split by how their content changes
(--layers, default toolchain,std,cmd,tests,rest), so images of one release
that differ in recipe, base or platform share blobs. Layers are written in
one pass, sorted, owned by root, with modes by role and every time set to
SOURCE_DATE_EPOCH or else the release time in the SDK's VERSION: the same
inputs give the same digests on any machine. Finished layers are kept in
the cache (GOROOTIMG_CACHE/build), so an unchanged rebuild writes nothing.

Outputs (any combination): -t REF --push pushes the index to a registry
(credentials from the docker config and its helpers; blobs first, the tag
last); --oci-layout DIR writes an OCI image layout tagged with -t's tag or
"latest"; --tarball FILE writes a "docker load" tarball of a single
platform. Without any, the index goes to the layout ./gorootimg-out.

stdout gets the digest of what was written: the index digest, or the
image digest when the only output is a tarball; --json prints the digest,
outputs and size report as JSON instead. The size report, comparing each
image's GOROOT with the full SDK compressed the same way, goes to stderr
(--report-json FILE writes it as JSON too).

Examples:

	gorootimg build --go 1.22.12 --platform linux/amd64,linux/arm64 --base debian:bookworm-slim -t registry.example/go:1.22 --push
	gorootimg build --go local --recipe ci --oci-layout out --compression zstd
	gorootimg build --go 1.23.4 --tarball go.tar -t go:1.23`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var sf sdkFlags
			var rf remoteFlags
			sf.register(fs)
			rf.register(fs)
			var f buildFlags
			fs.StringVar(&f.recipe, "recipe", recipes.Default, "recipe: a built-in name (see 'gorootimg recipes') or a recipe file")
			fs.StringVar(&f.base, "base", "scratch", "base image: REF, image:REF, oci:DIR[:TAG], tarball:FILE or scratch")
			fs.StringVar(&f.compression, "compression", string(layers.Gzip), "layer compression: gzip or zstd")
			fs.StringVar(&f.layerPlan, "layers", build.DefaultLayerPlan, "how the GOROOT is split into layers: groups from toolchain,std,cmd,tests,docs,rest")
			fs.StringVarP(&f.tag, "tag", "t", "", "image reference to push to (with --push) and to name the layout or tarball image")
			fs.BoolVar(&f.push, "push", false, "push the index to the registry named by --tag")
			fs.StringVar(&f.layout, "oci-layout", "", "write the index to this OCI image layout directory")
			fs.StringVar(&f.tarball, "tarball", "", "write the image (one platform) to this docker-load tarball")
			fs.BoolVar(&f.platformTags, "platform-tags", false, "in the OCI layout, also tag each platform's image TAG-OS-ARCH (for umoci and oci-image-tool, which do not read nested indexes)")
			fs.StringVar(&f.source, "source", "", "URL for the org.opencontainers.image.source label")
			fs.BoolVar(&f.json, "json", false, "print the result (digest, outputs, report) as JSON on stdout")
			fs.StringVar(&f.reportJSON, "report-json", "", "also write the size report as JSON to this file")
			fs.BoolVar(&f.noCache, "no-cache", false, "write every layer afresh and keep nothing in the cache")
			fs.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress and no report on stderr")
			fs.StringVar(&f.sbom, "sbom", "", sbomFlagUsage)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("build takes no arguments; give the SDK with --go")
				}
				return runBuild(ctx, e, &sf, &rf, &f)
			}
		},
	})
}

type buildFlags struct {
	recipe, base, compression, layerPlan     string
	tag, layout, tarball, source             string
	reportJSON                               string
	sbom                                     string // --sbom; see buildsbom.go
	push, json, noCache, quiet, platformTags bool
}

// buildOutput is what --json prints.
type buildOutput struct {
	Digest    string        `json:"digest"`
	Pushed    string        `json:"pushed,omitempty"`
	OCILayout string        `json:"ociLayout,omitempty"`
	Tarball   string        `json:"tarball,omitempty"`
	Cached    bool          `json:"cached"`
	Report    *build.Report `json:"report"`
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH: zero when unset, an error when
// malformed.
func sourceDateEpoch(getenv func(string) string) (time.Time, error) {
	s := getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative number of seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func runBuild(ctx context.Context, e *env, sf *sdkFlags, rf *remoteFlags, f *buildFlags) error {
	// Flags first: every mistake is reported before any work.
	comp, err := layers.ParseCompression(f.compression)
	if err != nil {
		return usagef("--compression: %v", err)
	}
	plan, err := build.ParseLayerPlan(f.layerPlan)
	if err != nil {
		return usagef("--layers: %v", err)
	}
	if f.push && f.tag == "" {
		return usagef("--push needs --tag (-t) naming where to push")
	}
	if err := checkSBOMFlag(f.sbom); err != nil {
		return err
	}
	platforms, err := sdk.ParsePlatforms(sf.platforms)
	if err != nil {
		return usagef("--platform: %v", err)
	}
	if f.tarball != "" && len(platforms) > 1 {
		return usagef("--tarball holds one platform and --platform names %d; build one platform or use --oci-layout", len(platforms))
	}
	if !strings.HasPrefix(sf.gorootPath, "/") || filepath.Clean(sf.gorootPath) == "/" {
		return usagef("--goroot-path %q: want an absolute directory inside the image, such as /usr/local/go", sf.gorootPath)
	}
	tagName := ""
	if f.tag != "" {
		ref, err := imageref.ParseReference(f.tag, rf.options()...)
		if err != nil {
			return usagef("--tag: %v", err)
		}
		if t, ok := ref.(name.Tag); ok {
			tagName = t.TagStr()
		} else if !f.push || f.tarball != "" {
			return usagef("--tag %q: want a tag, not a digest", f.tag)
		}
	}
	mtime, err := sourceDateEpoch(e.getenv)
	if err != nil {
		return err
	}
	layout := f.layout
	if !f.push && f.layout == "" && f.tarball == "" {
		layout = defaultLayout
	}
	if layout != "" {
		if err := build.CheckLayout(layout); err != nil {
			return err
		}
	}
	recipe, err := recipes.Lookup(f.recipe)
	if err != nil {
		return fmt.Errorf("--recipe: %w", err)
	}
	pr := newProgress(ctx, e.stderr, f.quiet)
	defer pr.done()

	// Then what needs the network but little time: the base and the
	// registry's answer to our credentials, before any SDK is fetched.
	base, err := imageref.Load(ctx, f.base, rf.options()...)
	if err != nil {
		return fmt.Errorf("--base: %w", err)
	}
	if !base.IsScratch() {
		for _, p := range platforms {
			if _, err := base.Image(v1.Platform{OS: p.OS, Architecture: p.Arch}); err != nil {
				return fmt.Errorf("--base: %w", err)
			}
		}
	}
	po := build.PushOptions{Remote: rf.options(), Progress: pr.pushed}
	if f.push {
		if _, err := build.CheckPush(ctx, f.tag, po); err != nil {
			return err
		}
	}

	sdks, err := sf.resolve(ctx, e, rf)
	if err != nil {
		return err
	}
	cache := ""
	if !f.noCache {
		dir, err := cacheDir(e.getenv)
		if err != nil {
			return err
		}
		cache = filepath.Join(dir, "build")
	}
	start := time.Now()
	res, err := build.Build(ctx, build.Options{
		SDKs: sdks, Recipe: recipe, Base: base, GOROOT: sf.gorootPath,
		Compression: comp, LayerPlan: plan, MTime: mtime, Source: f.source,
		CacheDir: cache, Progress: pr.layer,
	})
	if err != nil {
		return err
	}
	defer res.Close()
	pr.logf("built %d image(s) in %.2fs", len(res.Images), time.Since(start).Seconds())

	out := buildOutput{Cached: res.Reused, Report: res.Report}
	d, err := res.Index.Digest()
	if err != nil {
		return err
	}
	out.Digest = d.String()
	if layout != "" {
		if err := build.WriteLayout(ctx, layout, tagName, res.Index, build.LayoutOptions{PlatformTags: f.platformTags}); err != nil {
			return err
		}
		out.OCILayout = layout
		pr.logf("wrote OCI layout %s", layout)
	}
	if f.tarball != "" {
		if err := build.WriteTarball(ctx, f.tarball, f.tag, res.Images[0].Image); err != nil {
			return err
		}
		out.Tarball = f.tarball
		if layout == "" && !f.push {
			id, err := res.Images[0].Image.Digest()
			if err != nil {
				return err
			}
			out.Digest = id.String()
		}
		pr.logf("wrote tarball %s", f.tarball)
	}
	if f.push {
		if err := build.Push(ctx, f.tag, res.Index, po); err != nil {
			return err
		}
		out.Pushed = f.tag
		pr.logf("pushed %s@%s", f.tag, d)
	}
	pr.done()
	if err := writeBuildSBOMs(ctx, e, f, res, sdks, recipe, base, sf.gorootPath, layout, rf); err != nil {
		return err
	}
	if f.reportJSON != "" {
		b, err := json.MarshalIndent(res.Report, "", "\t")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(f.reportJSON, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if !f.quiet && !f.json {
		if err := res.Report.WriteText(e.stderr); err != nil {
			return err
		}
	}
	if f.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "\t")
		return enc.Encode(out)
	}
	_, err = fmt.Fprintln(e.stdout, out.Digest)
	return err
}
