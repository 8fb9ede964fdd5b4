package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/gorootimg/gorootimg/recipes"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "recipes",
		summary: "list the built-in recipes",
		usage:   "gorootimg recipes [--json]",
		long: `
Lists the built-in recipes, largest first, with what each promises, and
what each gives up of the inventory of go subcommands, go tools and GOROOT
support files of every release line (recipes/inventory). The default
recipe is ` + recipes.Default + `. A recipe file of your own
(--recipe ./my.yaml) can extend any of them; see docs/recipes.md.`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			asJSON := fs.Bool("json", false, "print the recipes as JSON (name, description, digest, capabilities, coverage)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("recipes takes no arguments")
				}
				type out struct {
					Name         string         `json:"name"`
					Description  string         `json:"description"`
					Digest       string         `json:"digest"`
					Capabilities []string       `json:"capabilities"`
					Default      bool           `json:"default,omitempty"`
					Coverage     recipeCoverage `json:"coverage"`
				}
				var list []out
				var covs []recipeCoverage
				var releases []string
				for _, n := range recipes.Names() {
					r, err := recipes.Lookup(n)
					if err != nil {
						return err
					}
					cov, rels, err := newRecipeCoverage(r)
					if err != nil {
						return err
					}
					covs, releases = append(covs, cov), rels
					list = append(list, out{n, r.Description, r.Digest(), r.Capabilities, n == recipes.Default, cov})
				}
				if *asJSON {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "\t")
					return enc.Encode(list)
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				for _, r := range list {
					name := r.Name
					if r.Default {
						name += " (default)"
					}
					fmt.Fprintf(tw, "%s\t%s\n", name, r.Description)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if len(releases) > 0 {
					printGivesUp(e.stdout, recipes.Names(), covs, releases)
				}
				return nil
			}
		},
	})
}
