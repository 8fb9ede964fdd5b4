package verify

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/gorootimg/gorootimg/probes"
)

// qemuAarch64 is what Linux shows for qemu-user-static's aarch64 handler.
const qemuAarch64 = `enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: POF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
`

func TestBinfmt(t *testing.T) {
	dir := t.TempDir()
	old := binfmtDir
	binfmtDir = dir
	t.Cleanup(func() { binfmtDir = old })
	if _, err := findBinfmt(elfHeader("linux", "arm64"), "linux/arm64"); err == nil || !strings.Contains(err.Error(), "F flag") {
		t.Errorf("findBinfmt without binfmt_misc = %v, want the hint to register a handler", err)
	}
	os.WriteFile(filepath.Join(dir, "status"), []byte("enabled\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "register"), nil, 0o200)
	os.WriteFile(filepath.Join(dir, "qemu-aarch64"), []byte(qemuAarch64), 0o644)
	os.WriteFile(filepath.Join(dir, "qemu-riscv64"), []byte(strings.Replace(strings.Replace(qemuAarch64, "b700", "f300", 1), "enabled", "disabled", 1)), 0o644)
	for _, tc := range []struct {
		goos, goarch string
		want         string // handler name, "" = none
	}{
		{"linux", "arm64", "qemu-aarch64"},
		{"linux", "amd64", ""},
		{"linux", "riscv64", ""}, // disabled
		{"linux", "s390x", ""},
	} {
		h, err := findBinfmt(elfHeader(tc.goos, tc.goarch), tc.goos+"/"+tc.goarch)
		switch {
		case runtime.GOOS != "linux":
			if err == nil {
				t.Errorf("findBinfmt on %s = %v, want an error", runtime.GOOS, h)
			}
		case tc.want == "" && err == nil:
			t.Errorf("findBinfmt(%s/%s) = %v, want none", tc.goos, tc.goarch, h)
		case tc.want != "" && (err != nil || h.Name != tc.want || h.Flags != "POF"):
			t.Errorf("findBinfmt(%s/%s) = %v, %v; want %s with flags POF", tc.goos, tc.goarch, h, err, tc.want)
		}
	}
	if elfHeader("windows", "amd64") != nil || elfHeader("linux", "wasm") != nil {
		t.Errorf("elfHeader of a non-ELF or unknown target is not nil")
	}
}

// TestBinfmtMatchesGo: the header elfHeader makes is that of a real Go
// binary for the host.
func TestBinfmtMatchesGo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF binaries are Linux's")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	head, err := fileHead(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := elfHeader(runtime.GOOS, runtime.GOARCH)
	h := &binfmtHandler{magic: want, mask: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}}
	if !h.matches(head) {
		t.Errorf("the test binary starts % x; elfHeader gives % x", head[:20], want)
	}
}

func TestForeignSubset(t *testing.T) {
	all := probes.AllCapabilities
	got := foreignSubset(all, true)
	if !slices.Contains(got, "run") || !slices.Contains(got, "foreign/build") || slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, "cgo") || strings.HasPrefix(n, "race") }) {
		t.Errorf("foreignSubset(all, canRun) = %v, want build and run, no cgo or race", got)
	}
	if got := foreignSubset(all, false); slices.Contains(got, "run") || slices.Contains(got, "foreign/test") || !slices.Contains(got, "test/binary") {
		t.Errorf("foreignSubset(all, !canRun) = %v, want no probe that runs what it builds", got)
	}
	if got := foreignSubset([]probes.Capability{probes.Build}, true); !slices.Equal(got, []string{"foreign/build", "run"}) {
		t.Errorf("foreignSubset(build) = %v, want foreign/build, run", got)
	}
	names := map[string]bool{}
	for _, p := range probes.Suite() {
		names[p.Name] = true
	}
	for _, p := range foreignProbes {
		if !names[p.name] {
			t.Errorf("foreign probe %s is not in the suite", p.name)
		}
	}
}

// labeled is an empty image for a platform with gorootimg's labels.
func labeled(t *testing.T, platform, recipe string) v1.Image {
	t.Helper()
	cf, err := empty.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, _ = strings.Cut(platform, "/")
	cf.Config.Labels = map[string]string{"io.github.gorootimg.recipe": recipe}
	img, err := mutate.ConfigFile(empty.Image, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestNotPromised: a platform-pruned image verified for another platform
// is "not promised", a passing report, without extracting anything; an
// image of a foreign platform cannot cross-compile elsewhere.
func TestNotPromised(t *testing.T) {
	host := runtime.GOOS + "/" + runtime.GOARCH
	other := v1.Platform{OS: "linux", Architecture: "arm64"}
	if host == "linux/arm64" {
		other.Architecture = "amd64"
	}
	ctx := context.Background()
	for _, recipe := range []string{"ci-native", "minimal"} {
		rep, err := Verify(ctx, labeled(t, host, recipe), WithPlatform(other))
		if err != nil {
			t.Fatalf("Verify(%s image, --platform %s) = %v", recipe, other.Architecture, err)
		}
		var b strings.Builder
		rep.WriteText(&b)
		if !rep.Passed() || rep.NotPromised == "" || rep.Mode != ModeCross || !strings.Contains(b.String(), "NOT PROMISED: recipe "+recipe+" prunes platforms (this platform only)") {
			t.Errorf("Verify(%s image for %s, platform linux/%s): passed %v, not promised %q, mode %q; text:\n%s", recipe, host, other.Architecture, rep.Passed(), rep.NotPromised, rep.Mode, b.String())
		}
	}
	// A recipe that promises cross goes on to extract the GOROOT (which
	// this empty image lacks).
	if _, err := Verify(ctx, labeled(t, host, "ci"), WithPlatform(other), WithSandbox(SandboxOff)); err == nil || !strings.Contains(err.Error(), "bin/go") {
		t.Errorf("Verify(ci image, other platform) = %v, want it to look for bin/go", err)
	}
	foreign := other.OS + "/" + other.Architecture
	if _, err := Verify(ctx, labeled(t, foreign, "ci"), WithPlatform(v1.Platform{OS: "windows", Architecture: "amd64"})); err == nil || !strings.Contains(err.Error(), "only with an image for this host") {
		t.Errorf("Verify(%s image for windows/amd64) = %v, want a refusal", foreign, err)
	}
	if _, err := Verify(ctx, labeled(t, host, "ci"), WithPlatform(v1.Platform{OS: "linux"})); err == nil {
		t.Errorf("WithPlatform(linux/) = nil error")
	}
}
