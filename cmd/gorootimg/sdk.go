package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/imageref"
)

func init() {
	register(&command{
		name:    "sdk",
		summary: "fetch and describe a Go SDK",
		usage:   "gorootimg sdk [--go SPEC] [--platform LIST] [flags]",
		long: `
Resolves --go for each --platform into a normalised Go SDK tree in the
cache (GOROOTIMG_CACHE, default the user cache directory/gorootimg) and
prints one line per platform: the release, the platform and the GOROOT.

Releases come from the Go module proxy (GOPROXY) as golang.org/toolchain
and are verified against the checksum database (GOSUMDB). When they are
unset, 'go env' supplies them if a go command is on PATH. A release in the
cache is served with the network off.

Examples:

	gorootimg sdk --go 1.22.12 --platform linux/amd64,linux/arm64
	gorootimg sdk --go ./go1.22.5.linux-amd64.tar.gz --sha256 904b...
	gorootimg sdk --go image:golang:1.22 --json`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var sf sdkFlags
			var rf remoteFlags
			sf.register(fs)
			rf.register(fs)
			asJSON := fs.Bool("json", false, "print the SDKs as a JSON array")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("sdk takes no arguments; give the SDK with --go")
				}
				sdks, err := sf.resolve(ctx, e, &rf)
				if err != nil {
					return err
				}
				if *asJSON {
					type out struct {
						Dir, Version string
						Time         time.Time `json:",omitempty"`
						GOOS, GOARCH string
						Source       string
						Hash         string `json:",omitempty"`
					}
					var o []out
					for _, s := range sdks {
						o = append(o, out{s.Dir, s.Version, s.Time, s.GOOS, s.GOARCH, s.Source, s.Hash})
					}
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "\t")
					return enc.Encode(o)
				}
				for _, s := range sdks {
					fmt.Fprintf(e.stdout, "%s %s %s\n", s.Version, imageref.FormatPlatform(s.Platform()), s.Dir)
				}
				return nil
			}
		},
	})
}
