package verify

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/build"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
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
	if testing.Short() {
		t.Skip("skipping: fetches a real Go release and runs the probe suite (-short)")
	}
	out, err := exec.Command("go", "env", "-json", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOROOT").Output()
	if err != nil {
		t.Skipf("skipping: go env: %v", err)
	}
	var ge map[string]string
	if err := json.Unmarshal(out, &ge); err != nil {
		t.Fatal(err)
	}
	proxy, _, _ := strings.Cut(strings.Split(ge["GOPROXY"], ",")[0], "|")
	if !strings.HasPrefix(proxy, "http") {
		t.Skipf("skipping: GOPROXY %q has no module proxy", ge["GOPROXY"])
	}
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(proxy, "/") + "/golang.org/toolchain/@v/list")
	if err != nil {
		t.Skipf("skipping: the module proxy is unreachable: %v", err)
	}
	resp.Body.Close()
	cache := os.Getenv("GOROOTIMG_CACHE")
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(d, "gorootimg")
	}
	o := sdk.Options{CacheDir: cache, GOPROXY: ge["GOPROXY"], GOSUMDB: ge["GOSUMDB"], GONOSUMDB: ge["GONOSUMDB"], GOPRIVATE: ge["GOPRIVATE"]}
	if src, err := os.ReadFile(filepath.Join(ge["GOROOT"], "src", "cmd", "go", "internal", "modfetch", "key.go")); err == nil {
		o.KnownSumDBKeys = sdk.ParseKnownSumDBKeys(src)
	}
	sdks, err := sdk.Resolve(context.Background(), spec, []v1.Platform{imageref.HostPlatform()}, o)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", spec, err)
	}
	return sdks[0], o
}

// TestVerifyRecipes builds minimal, build and ci images of a real release
// (on scratch) and verifies each against the full SDK: all pass, and each
// is held to exactly its recipe's capabilities. A recipe that drops
// net/http fails, naming the probe and the missing package. The full
// SDK's results are shared between the images (ReferenceCache).
func TestVerifyRecipes(t *testing.T) {
	s, so := releaseSDK(t, e2eRelease())
	ctx := context.Background()
	cache := NewReferenceCache()
	buildCache := filepath.Join(t.TempDir(), "build")
	verifyWith := func(t *testing.T, recipe string, opts ...Option) *Report {
		t.Helper()
		r, err := recipes.Lookup(recipe)
		if err != nil {
			t.Fatal(err)
		}
		res, err := build.Build(ctx, build.Options{SDKs: []*sdk.SDK{s}, Recipe: r, CacheDir: buildCache})
		if err != nil {
			t.Fatalf("building the %s image: %v", recipe, err)
		}
		defer res.Close()
		start := time.Now()
		rep, err := Verify(ctx, res.Images[0].Image, append([]Option{WithSDKOptions(so), WithReferenceCache(cache)}, opts...)...)
		if err != nil {
			t.Fatalf("Verify(%s image): %v", recipe, err)
		}
		var b strings.Builder
		rep.WriteText(&b)
		t.Logf("%s image verified in %v:\n%s", recipe, time.Since(start).Round(time.Second), b.String())
		return rep
	}
	for _, tc := range []struct {
		recipe string
		want   []probes.Capability // before C-compiler skips
	}{
		{"minimal", []probes.Capability{probes.Build, probes.CGO}},
		{"build", []probes.Capability{probes.Build, probes.CGO, probes.Cross}},
		{"ci", []probes.Capability{probes.Build, probes.CGO, probes.Test, probes.Race, probes.Cover, probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod}},
	} {
		t.Run(tc.recipe, func(t *testing.T) {
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
