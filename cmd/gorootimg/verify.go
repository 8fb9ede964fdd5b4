package main

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/verify"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "prove an image builds what the full SDK builds",
		usage:   "gorootimg verify [flags] IMAGE",
		long: `
IMAGE is a registry reference (REF or image:REF), oci:DIR[:TAG] or
tarball:FILE. verify extracts the image's GOROOT, runs the embedded probe
suite with it (build, cgo, cross-compilation, go test with -race, -cover,
-coverpkg and -json, fuzzing, benchmarks, vet, generate, fmt, go mod), runs
the same probes with the full SDK of the same release (fetched as --go
fetches it), and compares every artifact byte for byte (binaries are built
with -trimpath). Each probe is reported as PASS, FAIL (with the reason) or
N/A (it fails with the full SDK too, so the environment cannot run it);
verify exits 1 when any probe fails.

The capabilities that must pass are those of the recipe the image's
io.github.gorootimg.recipe label names (an image built with the build
recipe is not failed for lacking go vet or go test; one built with minimal
is not failed for lacking cross-compilation); an image without the label
must pass everything. --recipe names the recipe (or recipe file) instead.

Run as root, verify unpacks the whole image and runs the probes chrooted
into it in new mount and PID namespaces (unshare), so the image's own base
libraries and C compiler are what is tested; cgo and -race probes run only
when the image has a C compiler. Otherwise it runs the extracted toolchain
directly on this host, says so, and skips cgo and -race.

--probes DIR adds a Go module of your own: its packages are built, vetted
and tested with both toolchains and the results compared.

--platform of another platform (linux/arm64 on an amd64 host) runs the
image's toolchain for it under a binfmt_misc emulator (qemu-user), or,
when the image has no such platform, the host image's toolchain
cross-compiling there ("not promised" for a recipe that prunes
platforms); a subset of the probes is compared with this host's full SDK
cross-compiling to that platform (docs/diff-verify.md).`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			platform := fs.String("platform", "", "the platform to verify (default the host's); a foreign one runs under a binfmt_misc emulator, see docs/diff-verify.md")
			goroot := fs.String("goroot-path", "", "where GOROOT lives inside the image (default its label, else /usr/local/go)")
			recipe := fs.String("recipe", "", "check this recipe's capabilities instead of the image label's (a name or a file)")
			probeDirs := fs.StringArray("probes", nil, "a Go module `DIR` to build, vet and test as well (repeatable)")
			sandbox := fs.String("sandbox", verify.SandboxAuto, "auto (when root), on or off")
			reference := fs.String("reference", "", "the full SDK to compare with, as a --go value (default: the image's release, fetched)")
			asJSON := fs.Bool("json", false, "print the report as JSON")
			var rf remoteFlags
			rf.register(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("verify needs one argument, the image; got %d", len(args))
				}
				var err error
				p := sdk.HostPlatform()
				if *platform != "" {
					if p, err = sdk.ParsePlatform(*platform); err != nil {
						return usagef("--platform: %v", err)
					}
				}
				sf := &sdkFlags{gorootPath: *goroot}
				if sf.gorootPath == "" {
					sf.gorootPath = sdk.DefaultImageGOROOT
				}
				so, _, err := sf.options(ctx, e, &rf)
				if err != nil {
					return err
				}
				opts := []verify.Option{verify.WithSDKOptions(so), verify.WithLog(e.stderr)}
				if *goroot != "" {
					opts = append(opts, verify.WithGOROOT(*goroot))
				}
				if *recipe != "" {
					r, err := recipes.Lookup(*recipe)
					if err != nil {
						return err
					}
					opts = append(opts, verify.WithRecipe(r))
				}
				if *reference != "" {
					sdks, err := sdk.Resolve(ctx, *reference, []sdk.Platform{sdk.HostPlatform()}, so)
					if err != nil {
						return err
					}
					opts = append(opts, verify.WithReferenceSDK(sdks[0]))
				}
				if len(*probeDirs) > 0 {
					opts = append(opts, verify.WithUserModules(*probeDirs...))
				}
				switch *sandbox {
				case verify.SandboxAuto, verify.SandboxOn, verify.SandboxOff:
					opts = append(opts, verify.WithSandbox(*sandbox))
				default:
					return usagef("--sandbox %q: want auto, on or off", *sandbox)
				}
				ref, err := imageref.Load(ctx, args[0], rf.options()...)
				if err != nil {
					return err
				}
				if ref.IsScratch() {
					return usagef("scratch has no GOROOT to verify")
				}
				want := v1.Platform{OS: p.OS, Architecture: p.Arch}
				img, err := ref.Image(want)
				if err != nil && p != sdk.HostPlatform() {
					// No image for p: verify the host's image cross-compiling there.
					host := sdk.HostPlatform()
					img, _ = ref.Image(v1.Platform{OS: host.OS, Architecture: host.Arch})
				}
				if img == nil {
					return err
				}
				if *platform != "" {
					opts = append(opts, verify.WithPlatform(want))
				}
				rep, err := verify.Verify(ctx, img, opts...)
				if err != nil {
					return err
				}
				rep.Image = ref.String()
				if *asJSON {
					err = rep.WriteJSON(e.stdout)
				} else {
					err = rep.WriteText(e.stdout)
				}
				if err != nil {
					return err
				}
				if !rep.Passed() {
					if n := len(rep.Failures()); n > 0 {
						fmt.Fprintf(e.stderr, "gorootimg verify: %d probes failed\n", n)
					} else {
						fmt.Fprintf(e.stderr, "gorootimg verify: no probe could run in this environment\n")
					}
					return &silentError{code: exitFailure}
				}
				return nil
			}
		},
	})
}
