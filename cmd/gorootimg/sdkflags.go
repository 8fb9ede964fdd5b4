package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

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
	fs.StringVar(&f.gorootPath, "goroot-path", sdk.DefaultImageGOROOT, "where the SDK lives inside images")
}

// goEnvVars are what the go command's configuration supplies when the
// environment does not.
var goEnvVars = []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE"}

// options builds sdk.Options from the environment, asking 'go env' for
// what the environment leaves unset when a go command is on PATH.
func (f *sdkFlags) options(ctx context.Context, e *env, rf *remoteFlags) (sdk.Options, []v1.Platform, error) {
	ps, err := parsePlatforms(f.platforms)
	if err != nil {
		return sdk.Options{}, nil, err
	}
	if err := checkGOROOTPath(f.gorootPath); err != nil {
		return sdk.Options{}, nil, err
	}
	cacheDir, err := cacheDir(e.getenv)
	if err != nil {
		return sdk.Options{}, nil, err
	}
	o := sdk.Options{
		CacheDir:    cacheDir,
		SHA256:      f.sha256,
		ImageGOROOT: f.gorootPath,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(e.stderr, "gorootimg: "+format+"\n", args...)
		},
	}
	if rf != nil {
		o.ImageOptions = rf.options()
	}
	if s := e.getenv("GOROOTIMG_MAX_SDK_SIZE"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return sdk.Options{}, nil, fmt.Errorf("GOROOTIMG_MAX_SDK_SIZE=%q: want the most bytes an SDK may unpack to, such as 2147483648 or 2GiB", s)
		}
		o.MaxSize = n
	}
	vals := map[string]string{}
	for _, k := range goEnvVars {
		vals[k] = e.getenv(k)
	}
	ge := goEnv(ctx, e)
	for _, k := range goEnvVars {
		if vals[k] == "" {
			vals[k] = ge[k]
		}
	}
	o.GOPROXY, o.GOSUMDB, o.GONOSUMDB = vals["GOPROXY"], vals["GOSUMDB"], vals["GONOSUMDB"]
	o.GOPRIVATE, o.GONOPROXY, o.GOINSECURE = vals["GOPRIVATE"], vals["GONOPROXY"], vals["GOINSECURE"]
	o.LocalGOROOT = ge["GOROOT"]
	if ge["GOROOT"] != "" {
		// The go command knows its default checksum database's key; read
		// it from its source instead of carrying a copy here.
		src, err := os.ReadFile(filepath.Join(ge["GOROOT"], "src", "cmd", "go", "internal", "modfetch", "key.go"))
		if err == nil {
			o.KnownSumDBKeys = sdk.ParseKnownSumDBKeys(src)
		}
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

// parsePlatforms parses a --platform value (imageref.ParsePlatforms); the
// one place the CLI turns "os/arch" strings into platforms.
func parsePlatforms(s string) ([]v1.Platform, error) {
	ps, err := imageref.ParsePlatforms(s)
	if err != nil {
		return nil, usagef("--platform: %v", err)
	}
	return ps, nil
}

// checkGOROOTPath checks a --goroot-path value (goroot.CheckImagePath).
func checkGOROOTPath(p string) error {
	if err := goroot.CheckImagePath(p); err != nil {
		return usagef("--goroot-path %v", err)
	}
	return nil
}

// goEnv runs 'go env -json' for the go command settings and GOROOT; an
// empty map when there is no go command.
func goEnv(ctx context.Context, e *env) map[string]string {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return map[string]string{}
	}
	cmd := exec.CommandContext(ctx, gobin, append([]string{"env", "-json", "GOROOT"}, goEnvVars...)...)
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

// cacheDir is GOROOTIMG_CACHE, else os.UserCacheDir()/gorootimg computed
// from the environment e gives (so tests can point it elsewhere).
func cacheDir(getenv func(string) string) (string, error) {
	if d := getenv("GOROOTIMG_CACHE"); d != "" {
		return d, nil
	}
	var base string
	switch runtime.GOOS {
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Caches")
		}
	case "windows":
		base = getenv("LocalAppData")
	default:
		base = getenv("XDG_CACHE_HOME")
		if base == "" || !filepath.IsAbs(base) {
			base = ""
			if h := getenv("HOME"); h != "" {
				base = filepath.Join(h, ".cache")
			}
		}
	}
	if base == "" {
		return "", fmt.Errorf("no cache directory: set GOROOTIMG_CACHE (neither XDG_CACHE_HOME nor HOME is set)")
	}
	return filepath.Join(base, "gorootimg"), nil
}

// parseSize parses a positive byte count with an optional KiB, MiB or GiB
// suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
