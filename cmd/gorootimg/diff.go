package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/diff"
	"github.com/gorootimg/gorootimg/goroot"
)

func init() {
	register(&command{
		name:    "diff",
		summary: "compare the sizes of two images",
		usage:   "gorootimg diff [flags] A B",
		long: `
A and B are each an image: a registry reference (REF or image:REF),
oci:DIR[:TAG], tarball:FILE or scratch; or an SDK with a recipe applied,
sdk:GO?recipe=NAME, where GO is any --go value (1.22.12, local, a GOROOT
directory, a release archive) and NAME a recipe (default full). An sdk:
side is compared without building an image: its files are measured as one
uncompressed layer below --goroot-path, and its compressed size is n/a.

For each platform present on both sides, diff reports the totals
(compressed and uncompressed bytes, layers, files), every layer (shared or
not), the bytes per GOROOT category, and the files added, removed and
changed, largest first. Each layer is streamed once; a layer present on
both sides is read once.

--fail-if-larger PERCENT exits 1 when B is more than PERCENT larger than A
on any platform (compressed size, or uncompressed when a side has no
compressed size).`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var f diffFlags
			fs.StringVar(&f.platform, "platform", "", "compare only these platforms (os/arch,...); default all platforms present on both sides")
			fs.StringVar(&f.goroot, "goroot-path", goroot.DefaultImagePath, "where GOROOT lives inside the images")
			fs.IntVar(&f.files, "files", diff.DefaultFiles, "how many added, removed or changed files to list")
			fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
			fs.BoolVar(&f.asMarkdown, "markdown", false, "print the report as Markdown (for a pull-request comment)")
			fs.Float64Var(&f.failIfLarger, "fail-if-larger", -1, "exit 1 when B is more than `PERCENT` larger than A")
			var rf remoteFlags
			rf.register(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("diff needs two arguments, A and B; got %d", len(args))
				}
				return runDiff(ctx, e, &rf, &f, [2]string{args[0], args[1]})
			}
		},
	})
}

type diffFlags struct {
	platform, goroot   string
	files              int
	asJSON, asMarkdown bool
	failIfLarger       float64
}

func runDiff(ctx context.Context, e *env, rf *remoteFlags, f *diffFlags, specs [2]string) error {
	if f.asJSON && f.asMarkdown {
		return usagef("--json and --markdown cannot be combined")
	}
	if f.files < 0 {
		return usagef("--files %d: want 0 or more", f.files)
	}
	var platforms []v1.Platform
	if f.platform != "" {
		var err error
		if platforms, err = parsePlatforms(f.platform); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "gorootimg-diff-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := checkGOROOTPath(f.goroot); err != nil {
		return err
	}
	lo := []diff.LoadOption{diff.WithPlatforms(platforms...), diff.WithImageOptions(rf.options()...), diff.WithWorkDir(work)}
	if diff.IsSDK(specs[0]) || diff.IsSDK(specs[1]) {
		sf := &sdkFlags{gorootPath: f.goroot}
		so, _, err := sf.options(ctx, e, rf)
		if err != nil {
			return err
		}
		lo = append(lo, diff.WithSDKOptions(so))
	}
	sides, err := loadSides(ctx, specs, lo)
	if err != nil {
		return err
	}
	r, err := diff.Compare(ctx, sides[0], sides[1],
		diff.WithGOROOT(f.goroot), diff.WithFiles(f.files), diff.WithProgress(e.stderr))
	if err != nil {
		return err
	}
	switch {
	case f.asJSON:
		err = r.WriteJSON(e.stdout)
	case f.asMarkdown:
		err = r.WriteMarkdown(e.stdout)
	default:
		err = r.WriteTable(e.stdout)
	}
	if err != nil {
		return err
	}
	return checkGrowth(e, r, f.failIfLarger)
}

// loadSides loads the image sides first, so that an sdk: side can take
// their platforms.
func loadSides(ctx context.Context, specs [2]string, lo []diff.LoadOption) ([2]*diff.Side, error) {
	var sides [2]*diff.Side
	var err error
	for _, i := range []int{0, 1} {
		if !diff.IsSDK(specs[i]) {
			if sides[i], err = diff.LoadSide(ctx, specs[i], lo...); err != nil {
				return sides, err
			}
		}
	}
	for _, i := range []int{0, 1} {
		if sides[i] == nil {
			o := slices.Clip(lo)
			if other := sides[1-i]; other != nil {
				o = append(o, diff.WithFallbackPlatforms(diff.SDKPlatforms(other.Platforms())...))
			}
			if sides[i], err = diff.LoadSide(ctx, specs[i], o...); err != nil {
				return sides, err
			}
		}
	}
	return sides, nil
}

// checkGrowth fails (exit 1) when --fail-if-larger is set and B grew by
// more than it on some platform.
func checkGrowth(e *env, r *diff.Report, limit float64) error {
	if limit < 0 {
		return nil
	}
	var over []string
	for _, p := range r.Platforms {
		if pct, basis := p.Growth(); pct > limit {
			over = append(over, fmt.Sprintf("%s grew %.1f%% (%s)", p.Platform, pct, basis))
		}
	}
	if len(over) > 0 {
		fmt.Fprintf(e.stderr, "gorootimg diff: B is more than %g%% larger than A: %s\n", limit, strings.Join(over, "; "))
		return &silentError{code: exitFailure}
	}
	return nil
}
