package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/imageref"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print gorootimg's version and the Go it was built with",
		usage:   "gorootimg version",
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("version takes no arguments")
				}
				mod, gov := buildVersion()
				fmt.Fprintf(e.stdout, "gorootimg %s %s %s\n", mod, gov, imageref.FormatPlatform(imageref.HostPlatform()))
				return nil
			}
		},
	})
}
