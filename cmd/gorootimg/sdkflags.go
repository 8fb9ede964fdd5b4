package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/sdk"
)

// sdkFlags are the flags every command that needs a Go SDK shares.
type sdkFlags struct {
	goSpec     string
	platforms  string
	sha256     string
	gorootPath string
}

func (f *sdkFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.goSpec, "go", "local", "the Go SDK: a release (1.22.12, 1.22 = newest 1.22.x), local (the go on PATH), a GOROOT directory, a release .tar.gz, image:REF or oci:DIR[:TAG]")
	fs.StringVar(&f.platforms, "platform", "", "comma-separated os/arch list, such as linux/amd64,linux/arm64 (default: this machine's)")
	fs.StringVar(&f.sha256, "sha256", "", "expected SHA-256 of a release archive given to --go")
	fs.StringVar(&f.gorootPath, "goroot-path", goroot.DefaultImagePath, "where the SDK lives inside images; windows/... images take a C:\\ path, default C:\\Program Files\\Go")
}

// options builds sdk.Options from the environment (sdk.EnvOptions),
// asking 'go env' for what the environment leaves unset when a go command
// is on PATH.
func (f *sdkFlags) options(ctx context.Context, e *env, rf *remoteFlags) (sdk.Options, []v1.Platform, error) {
	ps, err := parsePlatforms(f.platforms)
	if err != nil {
		return sdk.Options{}, nil, err
	}
	if err := checkGOROOTPath(f.gorootPath); err != nil {
		return sdk.Options{}, nil, err
	}
	o, err := sdk.EnvOptions(e.getenv, goEnv(ctx, e))
	if err != nil {
		return sdk.Options{}, nil, err
	}
	o.SHA256, o.ImageGOROOT = f.sha256, f.gorootPath
	o.Logf = e.logf
	if rf != nil {
		o.ImageOptions = rf.options()
	}
	return o, ps, nil
}

// resolve resolves --go for --platform.
func (f *sdkFlags) resolve(ctx context.Context, e *env, rf *remoteFlags) ([]*sdk.SDK, error) {
	o, ps, err := f.options(ctx, e, rf)
	if err != nil {
		return nil, err
	}
	return sdk.Resolve(ctx, f.goSpec, ps, o)
}

// hostSDK is assemble.Options.HostSDK: a release resolved for this host
// the way --go is (module proxy, checksum database, SDK cache), for the
// privilege-free warm step and the go front of a foreign
// platform's image (sdk.HostRelease).
func (f *sdkFlags) hostSDK(e *env, rf *remoteFlags) assemble.HostSDKFunc {
	return func(ctx context.Context, version string) (*sdk.SDK, error) {
		o, _, err := f.options(ctx, e, rf)
		if err != nil {
			return nil, err
		}
		return sdk.HostReleaseFunc(o)(ctx, version)
	}
}

// parsePlatforms parses a --platform value (imageref.ParsePlatforms); the
// one place the CLI turns "os/arch" strings into platforms.
func parsePlatforms(s string) ([]v1.Platform, error) {
	ps, err := imageref.ParsePlatforms(s)
	if err != nil {
		return nil, usagef("--platform: %v", err)
	}
	return ps, nil
}

// checkGOROOTPath checks a --goroot-path value (goroot.CheckAnyImagePath).
func checkGOROOTPath(p string) error {
	if err := goroot.CheckAnyImagePath(p); err != nil {
		return usagef("--goroot-path %v", err)
	}
	return nil
}

// goEnv runs 'go env' with sdk.GoEnvArgs; an empty map when there is no
// go command.
func goEnv(ctx context.Context, e *env) map[string]string {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return map[string]string{}
	}
	cmd := exec.CommandContext(ctx, gobin, sdk.GoEnvArgs()...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(e.stderr, "gorootimg: note: 'go env' failed: %v\n", err)
		return map[string]string{}
	}
	m := map[string]string{}
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		return map[string]string{}
	}
	return m
}
