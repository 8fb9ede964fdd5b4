package sdk

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// GoEnvVars are the go command settings Options takes from the
// environment: where modules come from and how they are verified.
var GoEnvVars = []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE"}

// GoEnvArgs are the arguments of the 'go env' command whose JSON output
// EnvOptions takes as goEnv: GOROOT and GoEnvVars.
func GoEnvArgs() []string {
	return append([]string{"env", "-json", "GOROOT"}, GoEnvVars...)
}

// EnvOptions returns Options configured the way the go command on PATH
// would fetch modules, from values the caller read (this package never
// reads the environment itself):
//
//   - each of GoEnvVars from getenv, else from goEnv, the output of 'go'
//     with GoEnvArgs decoded into a map (nil when there is no go command);
//   - LocalGOROOT is goEnv's GOROOT, and KnownSumDBKeys are read from that
//     GOROOT's go command source (KnownSumDBKeysIn);
//   - CacheDir is DefaultCacheDir(getenv);
//   - MaxSize is GOROOTIMG_MAX_SDK_SIZE when set (bytes, or with a KiB,
//     MiB or GiB suffix).
func EnvOptions(getenv func(string) string, goEnv map[string]string) (Options, error) {
	dir, err := DefaultCacheDir(getenv)
	if err != nil {
		return Options{}, err
	}
	o := Options{CacheDir: dir, LocalGOROOT: goEnv["GOROOT"]}
	if s := getenv("GOROOTIMG_MAX_SDK_SIZE"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return Options{}, fmt.Errorf("GOROOTIMG_MAX_SDK_SIZE=%q: want the most bytes an SDK may unpack to, such as 2147483648 or 2GiB", s)
		}
		o.MaxSize = n
	}
	val := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return goEnv[k]
	}
	o.GOPROXY, o.GOSUMDB, o.GONOSUMDB = val("GOPROXY"), val("GOSUMDB"), val("GONOSUMDB")
	o.GOPRIVATE, o.GONOPROXY, o.GOINSECURE = val("GOPRIVATE"), val("GONOPROXY"), val("GOINSECURE")
	if o.LocalGOROOT != "" {
		o.KnownSumDBKeys = KnownSumDBKeysIn(o.LocalGOROOT)
	}
	return o, nil
}

// KnownSumDBKeysIn returns the checksum databases the go command in the
// Go installation goroot knows by name (ParseKnownSumDBKeys of its
// src/cmd/go/internal/modfetch/key.go); nil when that file cannot be read.
func KnownSumDBKeysIn(goroot string) map[string]string {
	src, err := os.ReadFile(filepath.Join(goroot, "src", "cmd", "go", "internal", "modfetch", "key.go"))
	if err != nil {
		return nil
	}
	return ParseKnownSumDBKeys(src)
}

// DefaultCacheDir is the gorootimg cache directory: GOROOTIMG_CACHE, else
// the user cache directory (as os.UserCacheDir finds it, from the values
// getenv gives) joined with "gorootimg".
func DefaultCacheDir(getenv func(string) string) (string, error) {
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
		return "", fmt.Errorf("finding a cache directory: set GOROOTIMG_CACHE (neither XDG_CACHE_HOME nor HOME is set)")
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
		return 0, fmt.Errorf("parsing size %q", s)
	}
	return n * mult, nil
}
