package main

import (
	"context"
	"errors"

	"github.com/spf13/pflag"
)

// stub registers a command whose implementation has not landed yet. It says
// so and fails: no stub pretends to work.
func stub(name, summary string) {
	register(&command{
		name:    name,
		summary: summary + " (not implemented yet)",
		usage:   "gorootimg " + name + " [flags]",
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			return func(context.Context, *env, []string) error {
				return errors.New("not implemented yet")
			}
		},
	})
}

func init() {
}
