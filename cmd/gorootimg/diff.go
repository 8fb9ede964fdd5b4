package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/diff"
	"github.com/gorootimg/gorootimg/sdk"
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
			platform := fs.String("platform", "", "compare only these platforms (os/arch,...); default all platforms present on both sides")
			goroot := fs.String("goroot-path", diff.DefaultGOROOT, "where GOROOT lives inside the images")
			files := fs.Int("files", diff.DefaultFiles, "how many added, removed or changed files to list")
			asJSON := fs.Bool("json", false, "print the report as JSON")
			asMarkdown := fs.Bool("markdown", false, "print the report as Markdown (for a pull-request comment)")
			failIfLarger := fs.Float64("fail-if-larger", -1, "exit 1 when B is more than `PERCENT` larger than A")
			var rf remoteFlags
			rf.register(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("diff needs two arguments, A and B; got %d", len(args))
				}
				if *asJSON && *asMarkdown {
					return usagef("--json and --markdown cannot be combined")
				}
				if *files < 0 {
					return usagef("--files %d: want 0 or more", *files)
				}
				var platforms []sdk.Platform
				if *platform != "" {
					var err error
					if platforms, err = sdk.ParsePlatforms(*platform); err != nil {
						return usagef("--platform: %v", err)
					}
				}
				work, err := os.MkdirTemp("", "gorootimg-diff-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(work)
				if !strings.HasPrefix(*goroot, "/") {
					return usagef("--goroot-path %q: want an absolute path inside the image, such as /usr/local/go", *goroot)
				}
				lo := diff.LoadOptions{
					Platforms: platforms,
					Image:     rf.options(),
					WorkDir:   work,
				}
				if diff.IsSDK(args[0]) || diff.IsSDK(args[1]) {
					sf := &sdkFlags{gorootPath: *goroot}
					if lo.SDK, _, err = sf.options(ctx, e, &rf); err != nil {
						return err
					}
				}
				// Image sides first, so that an sdk: side can take their platforms.
				specs := [2]string{args[0], args[1]}
				var sides [2]*diff.Side
				for _, i := range []int{0, 1} {
					if !diff.IsSDK(specs[i]) {
						if sides[i], err = diff.LoadSide(ctx, specs[i], lo); err != nil {
							return err
						}
					}
				}
				for _, i := range []int{0, 1} {
					if sides[i] == nil {
						o := lo
						if other := sides[1-i]; other != nil {
							o.Fallback = diff.SDKPlatforms(other.Platforms())
						}
						if sides[i], err = diff.LoadSide(ctx, specs[i], o); err != nil {
							return err
						}
					}
				}
				r, err := diff.Compare(ctx, sides[0], sides[1],
					diff.WithGOROOT(*goroot), diff.WithFiles(*files), diff.WithProgress(e.stderr))
				if err != nil {
					return err
				}
				switch {
				case *asJSON:
					err = r.WriteJSON(e.stdout)
				case *asMarkdown:
					err = r.WriteMarkdown(e.stdout)
				default:
					err = r.WriteTable(e.stdout)
				}
				if err != nil {
					return err
				}
				if *failIfLarger >= 0 {
					var over []string
					for _, p := range r.Platforms {
						if pct, basis := p.Growth(); pct > *failIfLarger {
							over = append(over, fmt.Sprintf("%s grew %.1f%% (%s)", p.Platform, pct, basis))
						}
					}
					if len(over) > 0 {
						fmt.Fprintf(e.stderr, "gorootimg diff: B is more than %g%% larger than A: %s\n", *failIfLarger, strings.Join(over, "; "))
						return &silentError{code: exitFailure}
					}
				}
				return nil
			}
		},
	})
}
