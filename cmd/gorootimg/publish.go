package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/matrix"
	"github.com/gorootimg/gorootimg/provenance"
	"github.com/gorootimg/gorootimg/sdk"
)

func init() {
	register(&command{
		name:    "publish",
		summary: "keep a repository's image matrix current with Go releases",
		usage:   "gorootimg publish -f images.yaml [--dry-run] [--json]",
		long: `
Reads the images file (-f): a repository, Go release selectors
("supported" = the newest release of the two newest minor lines), platforms,
variants and tag templates (by default the official images' scheme: 1.26.1,
1.26, 1 and latest, with -NAME for a variant). See docs/publish.md.

The releases come from the module proxy as for --go (GOPROXY, GOSUMDB).
Every image is assembled, from the layer cache where it can, and its index
digest computed before any push; it is compared with what each tag points
at now. Only images whose digest is new are pushed: blobs, platform
manifests, the index and each platform's SBOM and SLSA provenance go up by
digest, and the image's tags move only after all of it is in place. A run
with nothing new pushes nothing and says so.

stdout gets the plan, one image a line (release, variant, digest, action,
tags moved) and a summary; --json prints it as JSON. --dry-run stops after
the plan, and says on stderr when a release's inventory (its go
subcommands, go tools and GOROOT support files; recipes/inventory) is not
checked in or differs from the checked-in one of its line, which the
recipes' coverage is written against. Credentials come from the docker config, never from the file.

Examples:

	gorootimg publish -f images.yaml --dry-run
	gorootimg publish -f images.yaml --json`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var rf remoteFlags
			rf.register(fs)
			file := fs.StringP("file", "f", "", "the images file (required)")
			dryRun := fs.Bool("dry-run", false, "print the plan without pushing anything")
			asJSON := fs.Bool("json", false, "print the plan and what was done as JSON on stdout")
			jobs := fs.Int("jobs", 1, "images assembled at once (each writes 2 layers at once; SDK downloads run jobs+1 at once)")
			quiet := fs.BoolP("quiet", "q", false, "print no progress on stderr")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("publish takes no arguments; give the images file with -f")
				}
				if *file == "" {
					return usagef("-f: no images file given")
				}
				if *jobs < 1 {
					return usagef("--jobs %d: want 1 or more", *jobs)
				}
				return runPublish(ctx, e, &rf, *file, matrix.PublishOptions{DryRun: *dryRun, Jobs: *jobs}, *asJSON, *quiet)
			}
		},
	})
}

// runPublish loads the file, makes the one library call and prints its report.
func runPublish(ctx context.Context, e *env, rf *remoteFlags, file string, o matrix.PublishOptions, asJSON, quiet bool) error {
	f, err := matrix.Load(file)
	if err != nil {
		return err
	}
	mtime, err := sourceDateEpoch(e.getenv)
	if err != nil {
		return err
	}
	sf := sdkFlags{gorootPath: goroot.DefaultImagePath}
	if o.SDK, _, err = sf.options(ctx, e, rf); err != nil {
		return err
	}
	dir, err := sdk.DefaultCacheDir(e.getenv)
	if err != nil {
		return err
	}
	pr := newProgress(ctx, e.stderr, quiet)
	defer pr.done()
	mod, gov := buildVersion()
	o.Remote, o.CacheDir, o.MTime = rf.options(), filepath.Join(dir, "build"), mtime
	o.Builder = provenance.Builder{Version: mod, GoVersion: gov}
	o.Logf, o.Progress = pr.logf, pr.layer
	o.SDK.Logf = pr.logf
	o.PushProgress = pushBars(pr)
	rep, err := matrix.Publish(ctx, f, o)
	pr.done()
	if o.DryRun && rep != nil {
		for _, n := range matrix.InventoryNotes(ctx, o.SDK, rep) {
			fmt.Fprintf(e.stderr, "gorootimg: publish --dry-run: %s\n", n)
		}
	}
	if rep != nil {
		if perr := printPublish(e, rep, asJSON); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func printPublish(e *env, rep *matrix.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "\t")
		return enc.Encode(rep)
	}
	return rep.WriteText(e.stdout)
}

// pushBars shows one push bar per image on a terminal (the pushes of a
// run follow each other); without a terminal publish logs each push.
func pushBars(pr *progress) func(image string, done, total int64) {
	return func(image string, done, total int64) {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		if pr.p == nil {
			return
		}
		b := pr.bar("push "+image, total)
		b.SetTotal(total, false)
		b.SetCurrent(done)
		if done == total {
			b.SetTotal(total, true)
		}
	}
}
