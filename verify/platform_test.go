package verify

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/gorootimg/gorootimg/probes"
)

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
