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
Lists the built-in recipes, largest first, with what each promises. The
default recipe is ` + recipes.Default + `. A recipe file of your own
(--recipe ./my.yaml) can extend any of them; see docs/recipes.md.`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			asJSON := fs.Bool("json", false, "print the recipes as JSON (name, description, digest, capabilities)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("recipes takes no arguments")
				}
				type out struct {
					Name         string   `json:"name"`
					Description  string   `json:"description"`
					Digest       string   `json:"digest"`
					Capabilities []string `json:"capabilities"`
					Default      bool     `json:"default,omitempty"`
				}
				var list []out
				for _, n := range recipes.Names() {
					r, err := recipes.Lookup(n)
					if err != nil {
						return err
					}
					list = append(list, out{n, r.Description, r.Digest(), r.Capabilities, n == recipes.Default})
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
				return tw.Flush()
			}
		},
	})
}
