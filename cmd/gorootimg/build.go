package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/publish"
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

A windows/... platform gets a Windows image on a Windows --base: layers
in the Windows format (Files/, Hives/, a security descriptor on every
entry), GOROOT at a C:\ --goroot-path (default C:\Program Files\Go),
GOPATH=C:\go, the base's PATH and os.version kept, and none of the Linux
file system layer, --user or warm cache. See docs/windows.md.

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
			sf, rf, f := registerBuildFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("build takes no arguments; give the SDK with --go")
				}
				return runBuild(ctx, e, sf, rf, f)
			}
		},
	})
}

// registerBuildFlags declares build's flags on fs.
func registerBuildFlags(fs *pflag.FlagSet) (*sdkFlags, *remoteFlags, *buildFlags) {
	sf, rf, f := &sdkFlags{}, &remoteFlags{}, &buildFlags{}
	sf.register(fs)
	rf.register(fs)
	bindSpec(fs, &f.spec, nil, specKeysBut("goroot-path")...)
	fs.StringVarP(&f.tag, "tag", "t", "", "image reference to push to (with --push) and to name the layout or tarball image")
	fs.BoolVar(&f.push, "push", false, "push the index to the registry named by --tag")
	fs.StringVar(&f.layout, "oci-layout", "", "write the index to this OCI image layout directory")
	fs.StringVar(&f.tarball, "tarball", "", "write the image (one platform) to this docker-load tarball")
	fs.BoolVar(&f.platformTags, "platform-tags", false, "in the OCI layout, also tag each platform's image TAG-OS-ARCH (for umoci and oci-image-tool, which do not read nested indexes)")
	fs.BoolVar(&f.json, "json", false, "print the result (digest, outputs, report) as JSON on stdout")
	fs.StringVar(&f.reportJSON, "report-json", "", "also write the size report as JSON to this file")
	fs.BoolVar(&f.noCache, "no-cache", false, "write every layer afresh and keep nothing in the cache")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress and no report on stderr")
	return sf, rf, f
}

// buildFlags are build's own flags: the image spec (all but --goroot-path,
// which sdkFlags declares) and the outputs and how the run behaves.
type buildFlags struct {
	spec                                     imagespec.Spec
	tag, layout, tarball                     string
	reportJSON                               string
	push, json, noCache, quiet, platformTags bool
}

// imageSpec is the spec the flags give, with --goroot-path.
func (f *buildFlags) imageSpec(sf *sdkFlags) imagespec.Spec {
	s := f.spec
	s.GOROOTPath = sf.gorootPath
	return s
}

// buildOutput is what --json prints.
type buildOutput struct {
	Digest    string           `json:"digest"`
	Pushed    string           `json:"pushed,omitempty"`
	OCILayout string           `json:"ociLayout,omitempty"`
	Tarball   string           `json:"tarball,omitempty"`
	Cached    bool             `json:"cached"`
	Report    *assemble.Report `json:"report"`
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

// buildInputs are build's flags parsed and checked.
type buildInputs struct {
	spec      imagespec.Spec
	platforms []v1.Platform
	tagName   string // the tag of --tag, naming the layout's index
	mtime     time.Time
	layout    string // --oci-layout, or the default layout without outputs
}

// runBuild is resolve → assemble → publish: flags and the base first (every
// mistake is reported before any work), then the SDKs, the images, and
// each output.
func runBuild(ctx context.Context, e *env, sf *sdkFlags, rf *remoteFlags, f *buildFlags) error {
	in, err := f.parse(e, sf, rf)
	if err != nil {
		return err
	}
	noteZstd(e.stderr, in.spec.Compression)
	pr := newProgress(ctx, e.stderr, f.quiet)
	defer pr.done()

	// Then what needs the network but little time: the base and the
	// registry's answer to our credentials, before any SDK is fetched.
	img, err := in.spec.Resolve(ctx, in.platforms, imagespec.WithRemote(rf.options()...))
	if err != nil {
		return specError(err, false)
	}
	pub, err := f.publishers(in, rf, pr)
	if err != nil {
		return err
	}
	if err := pub.Check(ctx); err != nil {
		return err
	}

	sdks, err := sf.resolve(ctx, e, rf)
	if err != nil {
		return err
	}
	res, err := assembleImages(ctx, e, f, in, sdks, img, pr, sf.hostSDK(e, rf))
	if err != nil {
		return err
	}
	defer res.Close()
	if err := pub.Publish(ctx, res); err != nil {
		return err
	}
	pr.done()
	return f.printResult(e, res, in)
}

// parse checks build's flags and looks the recipe up.
func (f *buildFlags) parse(e *env, sf *sdkFlags, rf *remoteFlags) (*buildInputs, error) {
	in := &buildInputs{spec: f.imageSpec(sf)}
	if err := in.spec.Validate(); err != nil {
		return nil, specError(err, true)
	}
	var err error
	if f.push && f.tag == "" {
		return nil, usagef("--push needs --tag (-t) naming where to push")
	}
	if in.platforms, err = parsePlatforms(sf.platforms); err != nil {
		return nil, err
	}
	if f.tarball != "" && len(in.platforms) > 1 {
		return nil, usagef("--tarball holds one platform and --platform names %d; build one platform or use --oci-layout", len(in.platforms))
	}
	if err := checkGOROOTPath(sf.gorootPath); err != nil {
		return nil, err
	}
	if in.tagName, err = f.tagName(rf); err != nil {
		return nil, err
	}
	if in.mtime, err = sourceDateEpoch(e.getenv); err != nil {
		return nil, err
	}
	in.layout = f.layout
	if !f.push && f.layout == "" && f.tarball == "" {
		in.layout = defaultLayout
	}
	if in.layout != "" {
		// Before the recipe, as docs/build.md orders the mistakes; the
		// layout publisher checks it again with the other outputs.
		if err := publish.CheckLayout(in.layout); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// tagName is the tag --tag names ("" without --tag); a digest will do only
// for --push alone.
func (f *buildFlags) tagName(rf *remoteFlags) (string, error) {
	if f.tag == "" {
		return "", nil
	}
	ref, err := imageref.ParseReference(f.tag, rf.options()...)
	if err != nil {
		return "", usagef("--tag: %v", err)
	}
	if t, ok := ref.(name.Tag); ok {
		return t.TagStr(), nil
	}
	if !f.push || f.tarball != "" {
		return "", usagef("--tag %q: want a tag, not a digest", f.tag)
	}
	return "", nil
}

// publishers are the outputs the flags name, in the order they are written:
// the OCI layout, the tarball, the registry.
func (f *buildFlags) publishers(in *buildInputs, rf *remoteFlags, pr *progress) (publish.MultiPublisher, error) {
	opts := []publish.Option{publish.WithLogf(pr.logf)}
	var out publish.MultiPublisher
	if in.layout != "" {
		p, err := publish.NewLayout(in.layout, in.tagName, append(opts, publish.WithPlatformTags(f.platformTags))...)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if f.tarball != "" {
		p, err := publish.NewTarball(f.tarball, f.tag, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if f.push {
		p, err := publish.NewRegistry(f.tag, append(opts, publish.WithRemote(rf.options()...), publish.WithProgress(pr.pushed))...)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// assembleImages builds the images (and their SBOMs) from the SDKs.
func assembleImages(ctx context.Context, e *env, f *buildFlags, in *buildInputs, sdks []*sdk.SDK, img *imagespec.Resolved, pr *progress, host assemble.HostSDKFunc) (*assemble.Result, error) {
	cache := ""
	if !f.noCache {
		dir, err := sdk.DefaultCacheDir(e.getenv)
		if err != nil {
			return nil, err
		}
		cache = filepath.Join(dir, "build")
	}
	mod, _ := buildVersion()
	start := time.Now()
	bo := assemble.Options{Resolved: *img}
	bo.SDKs, bo.MTime, bo.Tool = sdks, in.mtime, "gorootimg "+mod
	bo.CacheDir, bo.Progress, bo.Logf = cache, pr.layer, pr.logf
	bo.Builder, bo.Subject, bo.HostSDK = builder(), provenanceSubject(f.tag), host
	res, err := assemble.Assemble(ctx, bo)
	if err != nil {
		return nil, err
	}
	pr.logf("built %d image(s) in %.2fs", len(res.Images), time.Since(start).Seconds())
	return res, nil
}

// printResult writes the report (stderr, --report-json) and the digest of
// what was written, or everything as JSON, to stdout.
func (f *buildFlags) printResult(e *env, res *assemble.Result, in *buildInputs) error {
	out := buildOutput{Cached: res.Reused, Report: res.Report, OCILayout: in.layout, Tarball: f.tarball}
	if f.push {
		out.Pushed = f.tag
	}
	d, err := res.Index.Digest()
	if err != nil {
		return err
	}
	if in.layout == "" && !f.push {
		// The only output is a tarball: its image is what was written.
		if d, err = res.Images[0].Image.Digest(); err != nil {
			return err
		}
	}
	out.Digest = d.String()
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
