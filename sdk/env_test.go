package sdk

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func TestDefaultCacheDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fallbacks tested are the Linux ones")
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
		err  bool
	}{
		{"GOROOTIMG_CACHE wins", map[string]string{"GOROOTIMG_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c", false},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/gorootimg", false},
		{"relative XDG_CACHE_HOME is ignored", map[string]string{"XDG_CACHE_HOME": "x", "HOME": "/h"}, "/h/.cache/gorootimg", false},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.cache/gorootimg", false},
		{"nothing", map[string]string{}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultCacheDir(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.err || got != filepath.FromSlash(tc.want) {
				t.Errorf("DefaultCacheDir(%v) = %q, %v; want %q (error %v)", tc.env, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestEnvOptions(t *testing.T) {
	goroot := t.TempDir()
	keyDir := filepath.Join(goroot, "src", "cmd", "go", "internal", "modfetch")
	if err := os.MkdirAll(keyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	key := `var knownGOSUMDB = map[string]string{"sum.example": "sum.example+01234567+AAAA",}`
	if err := os.WriteFile(filepath.Join(keyDir, "key.go"), []byte(key), 0o644); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"GOROOTIMG_CACHE": "/c"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		goEnv map[string]string
		want  Options
		err   bool
	}{
		{"environment only", map[string]string{"GOPROXY": "p", "GOSUMDB": "s", "GONOSUMDB": "n", "GOPRIVATE": "v", "GONOPROXY": "x", "GOINSECURE": "i"}, nil,
			Options{CacheDir: "/c", GOPROXY: "p", GOSUMDB: "s", GONOSUMDB: "n", GOPRIVATE: "v", GONOPROXY: "x", GOINSECURE: "i"}, false},
		{"go env fills the gaps", map[string]string{"GOPROXY": "p"}, map[string]string{"GOPROXY": "gp", "GOSUMDB": "gs", "GONOPROXY": "gx", "GOINSECURE": "gi", "GOROOT": goroot},
			Options{CacheDir: "/c", GOPROXY: "p", GOSUMDB: "gs", GONOPROXY: "gx", GOINSECURE: "gi", LocalGOROOT: goroot,
				KnownSumDBKeys: map[string]string{"sum.example": "sum.example+01234567+AAAA"}}, false},
		{"max size", map[string]string{"GOROOTIMG_MAX_SDK_SIZE": "2GiB"}, nil, Options{CacheDir: "/c", MaxSize: 2 << 30}, false},
		{"bad max size", map[string]string{"GOROOTIMG_MAX_SDK_SIZE": "lots"}, nil, Options{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return base[k]
			}
			got, err := EnvOptions(getenv, tc.goEnv)
			if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EnvOptions(%v, %v) = %+v, %v; want %+v (error %v)", tc.env, tc.goEnv, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"2147483648", 2147483648, false},
		{"512KiB", 512 << 10, false},
		{"3MiB", 3 << 20, false},
		{"2GiB", 2 << 30, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"lots", 0, true},
		{"9999999999GiB", 0, true},
	} {
		got, err := parseSize(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseSize(%q) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
