package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
)

// e2eRelease is the release TestVerifyRecipes checks: the newest 1.26.x
// by default; hack/verify-releases.sh sets GOROOTIMG_VERIFY_GO to check
// others (the oldest supported, 1.21).
func e2eRelease() string {
	if v := os.Getenv("GOROOTIMG_VERIFY_GO"); v != "" {
		return v
	}
	return "1.26"
}

// releaseSDK resolves a real Go release through the module proxy the go
// command is configured with, skipping when that proxy is unreachable.
func releaseSDK(t *testing.T, spec string) (*sdk.SDK, sdk.Options) {
	t.Helper()
	return releaseSDKFor(t, spec, imageref.HostPlatform())
}

// releaseSDKFor is releaseSDK for another platform's SDK.
func releaseSDKFor(t *testing.T, spec string, p v1.Platform) (*sdk.SDK, sdk.Options) {
	t.Helper()
	return sdktest.Release(t, spec, p)
}

// TestVerifyRecipes builds the build image of a real release (on scratch)
// and verifies it against the full SDK: it passes, held to exactly its
// recipe's capabilities (GOROOTIMG_VERIFY_RECIPES=minimal,build adds
// others; hack/verify-releases.sh sets it). A recipe that drops
// net/http fails, naming the probe and the missing package. The full
// SDK's results are shared between the images (ReferenceCache).
func TestVerifyRecipes(t *testing.T) {
	s, so := releaseSDK(t, e2eRelease())
	ctx := context.Background()
	cache := storedReference(t, "recipes", s)
	gocache := referenceBuildCache(t, s)
	buildCache := fixture.LayerCache(t) // shared: each image is assembled once per suite
	verifyWith := func(t *testing.T, recipe string, opts ...Option) *Report {
		t.Helper()
		r, err := recipes.Lookup(recipe)
		if err != nil {
			t.Fatal(err)
		}
		res, err := assemble.Assemble(ctx, assemble.Options{SDKs: []*sdk.SDK{s}, CacheDir: buildCache, Resolved: imagespec.Resolved{Recipe: r}})
		if err != nil {
			t.Fatalf("building the %s image: %v", recipe, err)
		}
		defer res.Close()
		start := time.Now()
		rep, err := Verify(ctx, res.Images[0].Image, append([]Option{WithSDKOptions(so), WithReferenceCache(cache), gocache}, opts...)...)
		if err != nil {
			t.Fatalf("Verify(%s image): %v", recipe, err)
		}
		var b strings.Builder
		rep.WriteText(&b)
		t.Logf("%s image verified in %v:\n%s", recipe, time.Since(start).Round(time.Second), b.String())
		return rep
	}
	// The ci image's full verify runs in cmd/gorootimg's BuildKit end-to-end
	// test (on Dockerfile.base, with gcc for the cgo and race probes) and
	// its cross half in TestVerifyForeign; each costs minutes of probes.
	// minimal is proven in CI by the fidelity test and by the CLI's
	// verify.txtar (with the local SDK).
	only := strings.Split(os.Getenv("GOROOTIMG_VERIFY_RECIPES"), ",")
	for _, tc := range []struct {
		recipe string
		want   []probes.Capability // before C-compiler skips
	}{
		{"minimal", []probes.Capability{probes.Build, probes.CGO}},
		{"build", []probes.Capability{probes.Build, probes.CGO, probes.Cross}},
	} {
		t.Run(tc.recipe, func(t *testing.T) {
			if tc.recipe != "build" && !slices.Contains(only, tc.recipe) {
				t.Skipf("skipping: proven in CI by test's TestFidelity and cmd/gorootimg's verify.txtar; GOROOTIMG_VERIFY_RECIPES=%s runs it", tc.recipe)
			}
			rep := verifyWith(t, tc.recipe)
			if !rep.Passed() {
				t.Errorf("%s image failed verification: %v", tc.recipe, rep.Failures())
			}
			var got []string
			got = append(got, rep.Capabilities...)
			for _, s := range rep.Skipped {
				got = append(got, s.Capability)
				if rep.CCompiler != "" {
					t.Errorf("skipped %s although the image has %s", s.Capability, rep.CCompiler)
				}
			}
			slices.Sort(got)
			var want []string
			for _, c := range tc.want {
				want = append(want, string(c))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s image was held to %v, want %v", tc.recipe, got, want)
			}
			// Every probe of a required capability ran, and none other.
			ran := map[string]bool{}
			for _, p := range rep.Probes {
				ran[p.Name] = true
			}
			for _, p := range probes.Suite() {
				if slices.Contains(rep.Capabilities, string(p.Needs)) != ran[p.Name] {
					t.Errorf("probe %s (%s): ran = %v, capabilities %v", p.Name, p.Needs, ran[p.Name], rep.Capabilities)
				}
			}
		})
	}
	t.Run("broken", func(t *testing.T) {
		r, err := recipes.Lookup(filepath.Join("testdata", "broken.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		rep := verifyWith(t, filepath.Join("testdata", "broken.yaml"), WithRecipe(r))
		if rep.Passed() {
			t.Fatal("an image without net/http passed verification")
		}
		var failed []string
		for _, p := range rep.Failures() {
			failed = append(failed, p.Name)
			if p.Name == "build" && !strings.Contains(p.Reason, "package net/http is not in std") {
				t.Errorf("build failed without naming net/http:\n%s", p.Reason)
			}
		}
		if !slices.Contains(failed, "build") {
			t.Errorf("failed probes %v, want build among them", failed)
		}
		for _, p := range rep.Probes {
			if p.Name == "install" && p.Status != StatusPass {
				t.Errorf("install (hello world, no net/http) = %s, want pass: %s", p.Status, p.Reason)
			}
		}
	})
}

// storedReference returns a ReferenceCache loaded from the fixture store
// (keyed by the full SDK's hash, the probe corpus, the host's C compiler
// and which test it is for) and saved back when the test passes, so the
// full SDK's probes run once per store; the suite's one cold reference is
// cmd/gorootimg's BuildKit end-to-end verify. Verify itself drops results
// made for another sandbox or image C compiler.
func storedReference(t *testing.T, test string, full *sdk.SDK) *ReferenceCache {
	t.Helper()
	cache := NewReferenceCache()
	key, ok := fixture.ProbeKey(t, full.Hash, "auto", "verify "+test, full.Platform().String())
	if !ok {
		return cache
	}
	if fixture.LoadJSON(t, "verify-reference", key, cache) {
		t.Logf("the full SDK's probe results from the fixture store (%s)", key)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			fixture.SaveJSON(t, "verify-reference", key, cache)
		}
	})
	return cache
}

// referenceBuildCache shares the full SDK's GOCACHE with the suite's
// other references of that SDK (the fidelity test's): on a cold store the
// second reference compiles only what the first did not.
func referenceBuildCache(t *testing.T, full *sdk.SDK) Option {
	dir, ok := fixture.ReferenceBuildCache(t, full.Hash)
	if !ok {
		return func(*options) error { return nil }
	}
	return WithReferenceBuildCache(dir)
}

// registerQEMU makes sure the kernel runs linux/arm64 binaries through
// qemu-user-static with the F flag (so its interpreter works inside the
// sandbox's chroot), mounting binfmt_misc and registering the handler
// Debian's qemu-user-static ships when needed. It skips when the kernel
// refuses.
func registerQEMU(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: registering a binfmt_misc handler needs root")
	}
	conf, err := os.ReadFile("/usr/lib/binfmt.d/qemu-aarch64.conf")
	if err != nil {
		t.Skipf("skipping: qemu-user-static is not installed: %v", err)
	}
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/status"); err != nil {
		if out, err := exec.Command("mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc").CombinedOutput(); err != nil {
			t.Skipf("skipping: the kernel refuses to mount binfmt_misc: %v\n%s", err, out)
		}
	}
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		if !strings.Contains(strings.TrimSpace(string(conf)), ":F") && !strings.HasSuffix(strings.TrimSpace(string(conf)), "F") {
			conf = []byte(strings.TrimSpace(string(conf)) + "F")
		}
		if err := os.WriteFile("/proc/sys/fs/binfmt_misc/register", conf, 0o200); err != nil {
			t.Skipf("skipping: the kernel refuses the qemu-aarch64 binfmt_misc handler: %v", err)
		}
	}
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if err != nil || !strings.Contains(string(b), "enabled") {
		t.Skipf("skipping: qemu-aarch64 handler not enabled: %v %s", err, b)
	}
	if !strings.Contains(string(b), "flags: ") || !strings.Contains(strings.SplitN(strings.SplitN(string(b), "flags: ", 2)[1], "\n", 2)[0], "F") {
		t.Fatalf("the registered qemu-aarch64 handler lacks the F flag:\n%s", b)
	}
}

// TestVerifyForeign verifies a ci image of a real release for linux/arm64
// under qemu-user (ModeEmulated): the image's own arm64 toolchain runs the
// foreign subset and every artifact equals what the host's full SDK builds
// cross-compiling to linux/arm64. Then the host's ci image cross-compiles
// to linux/arm64 (ModeCross) against the same, cached, reference.
func TestVerifyForeign(t *testing.T) {
	if runtime.GOARCH == "arm64" {
		t.Skip("skipping: the host is arm64 already")
	}
	registerQEMU(t)
	arm, so := releaseSDKFor(t, e2eRelease(), v1.Platform{OS: "linux", Architecture: "arm64"})
	host, _ := releaseSDK(t, arm.Version)
	r, err := recipes.Lookup("ci")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cache := storedReference(t, "foreign", host)
	gocache := referenceBuildCache(t, host)
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		mode string
		s    *sdk.SDK
	}{{ModeEmulated, arm}, {ModeCross, host}} {
		t.Run(tc.mode, func(t *testing.T) {
			if tc.mode == ModeEmulated && os.Getenv("GOROOTIMG_TEST_EMULATED") == "" {
				// Minutes per probe under qemu-user on 2 cores (37 min for the
				// subset measured in docs/diff-verify.md): too slow for CI,
				// which proves arm64 images in test/engines instead.
				t.Skip("skipping: set GOROOTIMG_TEST_EMULATED=1 to verify the arm64 image under qemu-user (hack/verify-releases.sh does)")
			}
			res, err := assemble.Assemble(ctx, assemble.Options{SDKs: []*sdk.SDK{tc.s}, CacheDir: fixture.LayerCache(t), Resolved: imagespec.Resolved{Recipe: r}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			rep, err := Verify(ctx, res.Images[0].Image, WithSDKOptions(so), WithReferenceCache(cache), gocache, WithPlatform(arm64), WithReferenceSDK(host))
			if err != nil {
				t.Fatalf("Verify(%s ci image, linux/arm64): %v", tc.s.Platform(), err)
			}
			var b strings.Builder
			rep.WriteText(&b)
			t.Logf("%s ci image verified for linux/arm64 (%s) in %v:\n%s", tc.s.Platform(), tc.mode, rep.Elapsed, b.String())
			if rep.Mode != tc.mode || rep.Target != "linux/arm64" || rep.Elapsed <= 0 || !strings.Contains(b.String(), "took ") {
				t.Errorf("mode %q target %q elapsed %v; want %s, linux/arm64, and the time in the text", rep.Mode, rep.Target, rep.Elapsed, tc.mode)
			}
			if tc.mode == ModeEmulated && !strings.Contains(rep.Emulator, "qemu-aarch64") {
				t.Errorf("emulator = %q, want the qemu-aarch64 handler", rep.Emulator)
			}
			if !rep.Passed() {
				t.Errorf("failed: %v", rep.Failures())
			}
			var ran []string
			for _, p := range rep.Probes {
				ran = append(ran, p.Name)
				if p.Status != StatusPass {
					t.Errorf("probe %s: %s: %s", p.Name, p.Status, p.Reason)
				}
			}
			want := foreignSubset(probesOf(rep.Capabilities), true)
			slices.Sort(ran)
			slices.Sort(want)
			if !slices.Equal(ran, want) || len(want) < 5 {
				t.Errorf("ran %v, want the foreign subset %v", ran, want)
			}
		})
	}
}

func probesOf(caps []string) []probes.Capability {
	var out []probes.Capability
	for _, c := range caps {
		out = append(out, probes.Capability(c))
	}
	return out
}
