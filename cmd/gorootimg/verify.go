package main

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/goroot"
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
and tested with both toolchains and the results compared. --only NAME
runs just the named probes (for example --only build while editing a
recipe); a verify that proves a recipe runs them all.

--platform of another platform (linux/arm64 on an amd64 host) runs the
image's toolchain for it under a binfmt_misc emulator (qemu-user), or,
when the image has no such platform, the host image's toolchain
cross-compiling there ("not promised" for a recipe that prunes
platforms); a subset of the probes is compared with this host's full SDK
cross-compiling to that platform (docs/diff-verify.md).

A Windows image (--platform windows/amd64) cannot run here: verify checks
its structure (every entry below Files/ or Hives/ with its security
descriptor, os.version, go.exe and the tools at its GOROOT) and proves its
file set by running the probes that build, with this host's toolchain of
the same release put next to the image's .exe files, cross-compiling with
GOOS=windows, against the full SDK doing the same; it says plainly that
running the Windows toolchain needs a Windows host (docs/windows.md).`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var f verifyFlags
			fs.StringVar(&f.platform, "platform", "", "the platform to verify (default the host's); a foreign one runs under a binfmt_misc emulator, see docs/diff-verify.md")
			fs.StringVar(&f.goroot, "goroot-path", "", "where GOROOT lives inside the image (default its label, else /usr/local/go)")
			fs.StringVar(&f.recipe, "recipe", "", "check this recipe's capabilities instead of the image label's (a name or a file)")
			fs.StringArrayVar(&f.probeDirs, "probes", nil, "a Go module `DIR` to build, vet and test as well (repeatable)")
			fs.StringSliceVar(&f.only, "only", nil, "run only these probes of the suite (`NAME`s as the report prints them, comma-separated or repeated), among those the recipe requires")
			fs.StringVar(&f.sandbox, "sandbox", verify.SandboxAuto, "auto (when root), on or off")
			fs.StringVar(&f.reference, "reference", "", "the full SDK to compare with, as a --go value (default: the image's release, fetched)")
			fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
			fs.BoolVar(&f.warmOnly, "warm-only", false, "run only the warm-cache checks of an image with a warm cache (docs/warm-cache.md), not the probe suite")
			var rf remoteFlags
			rf.register(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("verify needs one argument, the image; got %d", len(args))
				}
				return runVerify(ctx, e, &rf, &f, args[0])
			}
		},
	})
}

type verifyFlags struct {
	platform, goroot, recipe, sandbox, reference string
	probeDirs, only                              []string
	asJSON, warmOnly                             bool
}

func runVerify(ctx context.Context, e *env, rf *remoteFlags, f *verifyFlags, image string) error {
	p := imageref.HostPlatform()
	if f.platform != "" {
		var err error
		if p, err = imageref.ParsePlatform(f.platform); err != nil {
			return usagef("--platform: %v", err)
		}
	}
	opts, err := verifyOptions(ctx, e, rf, f, p)
	if err != nil {
		return err
	}
	ref, err := imageref.Load(ctx, image, rf.options()...)
	if err != nil {
		return err
	}
	if ref.IsScratch() {
		return usagef("scratch has no GOROOT to verify")
	}
	img, err := ref.Image(p)
	if err != nil && !p.Equals(imageref.HostPlatform()) {
		// No image for p: verify the host's image cross-compiling there.
		img, _ = ref.Image(imageref.HostPlatform())
	}
	if img == nil {
		return err
	}
	if f.platform != "" {
		opts = append(opts, verify.WithPlatform(p))
	}
	rep, err := verify.Verify(ctx, img, opts...)
	if err != nil {
		return err
	}
	rep.Image = ref.String()
	if f.asJSON {
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

// verifyOptions turns the flags into verify options for platform p.
func verifyOptions(ctx context.Context, e *env, rf *remoteFlags, f *verifyFlags, p v1.Platform) ([]verify.Option, error) {
	sf := &sdkFlags{gorootPath: f.goroot}
	if sf.gorootPath == "" {
		sf.gorootPath = goroot.DefaultImagePath
	}
	so, _, err := sf.options(ctx, e, rf)
	if err != nil {
		return nil, err
	}
	opts := []verify.Option{verify.WithSDKOptions(so), verify.WithLog(e.stderr)}
	if f.goroot != "" {
		opts = append(opts, verify.WithGOROOT(f.goroot))
	}
	if f.recipe != "" {
		r, err := recipes.Lookup(f.recipe)
		if err != nil {
			return nil, err
		}
		opts = append(opts, verify.WithRecipe(r))
	}
	if f.reference != "" {
		// The reference runs here, cross-compiling to p when p is foreign.
		sdks, err := sdk.Resolve(ctx, f.reference, []v1.Platform{imageref.HostPlatform()}, so)
		if err != nil {
			return nil, err
		}
		opts = append(opts, verify.WithReferenceSDK(sdks[0]))
	}
	if len(f.probeDirs) > 0 {
		opts = append(opts, verify.WithUserModules(f.probeDirs...))
	}
	if f.warmOnly {
		opts = append(opts, verify.WithWarmOnly())
	}
	if len(f.only) > 0 {
		if err := verify.CheckProbes(f.only); err != nil {
			return nil, usagef("--only: %v", err)
		}
		opts = append(opts, verify.WithProbes(f.only...))
	}
	switch f.sandbox {
	case verify.SandboxAuto, verify.SandboxOn, verify.SandboxOff:
		opts = append(opts, verify.WithSandbox(f.sandbox))
	default:
		return nil, usagef("--sandbox %q: want auto, on or off", f.sandbox)
	}
	return opts, nil
}
