package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/sdk"
)

func init() {
	register(&command{
		name:    "releases",
		summary: "list the Go releases the module proxy serves",
		usage:   "gorootimg releases [--supported] [--json]",
		long: `
Reads the golang.org/toolchain version list from the Go module proxy
(GOPROXY, with GOSUMDB checked as for --go; 'go env' supplies them when
unset) and prints one line per release, newest first: the version, whether
it is supported, and the platforms it is served for. The supported releases
are the final releases of the two newest minor lines, what "supported"
selects in an images file. When the proxy cannot be reached the cached list
is used, with a note on stderr.

Examples:

	gorootimg releases --supported
	gorootimg releases --json`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			asJSON := fs.Bool("json", false, "print the releases as a JSON array (version, platforms, supported)")
			supported := fs.Bool("supported", false, "list only the supported releases")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("releases takes no arguments")
				}
				sf := sdkFlags{gorootPath: goroot.DefaultImagePath}
				o, _, err := sf.options(ctx, e, nil)
				if err != nil {
					return err
				}
				rels, err := sdk.ListReleases(ctx, o)
				if err != nil {
					return err
				}
				if *supported {
					var keep []sdk.Release
					for _, r := range rels {
						if r.Supported {
							keep = append(keep, r)
						}
					}
					rels = keep
				}
				return printReleases(e, rels, *asJSON)
			}
		},
	})
}

func printReleases(e *env, rels []sdk.Release, asJSON bool) error {
	if asJSON {
		if rels == nil {
			rels = []sdk.Release{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "\t")
		return enc.Encode(rels)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, r := range rels {
		ps := make([]string, len(r.Platforms))
		for i, p := range r.Platforms {
			ps[i] = p.String()
		}
		sup := "-"
		if r.Supported {
			sup = "supported"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Version, sup, strings.Join(ps, ","))
	}
	return tw.Flush()
}
