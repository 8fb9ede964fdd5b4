package diff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestLoadSideOptions(t *testing.T) {
	ctx := context.Background()
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	s390x := v1.Platform{OS: "linux", Architecture: "s390x"}
	goroot := t.TempDir()
	for name, body := range map[string]string{
		"VERSION":                      "go1.22.5\ntime 2025-02-04T20:39:04Z\n",
		"bin/go":                       "fake",
		"pkg/tool/linux_arm64/compile": "fake",
		"src/fmt/print.go":             "package fmt\n",
	} {
		p := filepath.Join(goroot, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		spec string
		opts []LoadOption
		want string // platforms, or the error
	}{
		{"scratch, platforms", "scratch", []LoadOption{WithPlatforms(arm64), WithFallbackPlatforms(s390x)}, "linux/arm64"},
		{"scratch, fallback", "scratch", []LoadOption{WithFallbackPlatforms(s390x)}, "linux/s390x"},
		{"empty work dir", "scratch", []LoadOption{WithWorkDir("")}, "error: work directory: empty"},
		{"sdk, no work dir", "sdk:" + goroot, []LoadOption{WithPlatforms(arm64)}, "error: loading \"sdk:" + goroot + "\": no work directory"},
		{"sdk, fallback", "sdk:" + goroot, []LoadOption{WithFallbackPlatforms(arm64), WithWorkDir(t.TempDir())}, "linux/arm64"},
		{"sdk, other platform", "sdk:" + goroot, []LoadOption{WithPlatforms(s390x), WithWorkDir(t.TempDir())}, "error: " + goroot + " is a linux/arm64 SDK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSide(ctx, tc.spec, tc.opts...)
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				got = v1List(s.Platforms())
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("LoadSide(%q) = %q, want %q", tc.spec, got, tc.want)
			}
		})
	}
}
