package assemble_test

// These tests write what build assembled with the layout publisher, as
// gorootimg build does: the golden digests, and a base's GOROOT hidden.

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/publish"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/imagetest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json (hack/golden.sh)")

func fakeSDKs(t *testing.T, arches ...string) []*sdk.SDK {
	t.Helper()
	return imagetest.FakeSDKs(t, "testdata", arches...)
}

func digestsOf(t *testing.T, idx v1.ImageIndex) imagetest.Digests {
	t.Helper()
	return imagetest.DigestsOf(t, idx)
}

func buildFake(t *testing.T, o assemble.Options) *assemble.Result {
	t.Helper()
	res, err := assemble.Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// writeLayout publishes res to the OCI layout dir, tagged tag.
func writeLayout(t *testing.T, dir, tag string, res *assemble.Result) {
	t.Helper()
	p, err := publish.NewLayout(dir, tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), res); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	for _, c := range []layers.Compression{layers.Gzip, layers.Zstd} {
		t.Run(string(c), func(t *testing.T) {
			res, err := assemble.Assemble(context.Background(), assemble.Options{SDKs: fakeSDKs(t, "amd64", "arm64"), Resolved: imagespec.Resolved{Compression: c}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			dir := filepath.Join(t.TempDir(), "out")
			writeLayout(t, dir, "", res)
			idx, err := layout.ImageIndexFromPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			im, _ := idx.IndexManifest()
			if len(im.Manifests) != 1 {
				t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
			}
			inner, err := idx.ImageIndex(im.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			if c == layers.Gzip { // validate reads gzip layers only
				if err := validate.Index(inner); err != nil {
					t.Errorf("validate.Index: %v", err)
				}
			}
			got := digestsOf(t, inner)
			if want := digestsOf(t, res.Index); got.Index != want.Index {
				t.Errorf("layout index = %s, built %s", got.Index, want.Index)
			}
			golden := filepath.Join("testdata", "golden-"+string(c)+".json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "\t")
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run hack/golden.sh)", err)
			}
			var want imagetest.Digests
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.MarshalIndent(got, "", "\t")
			wj, _ := json.MarshalIndent(want, "", "\t")
			if string(gj) != string(wj) {
				t.Errorf("digests of the fake SDK build =\n%s\nwant (testdata/%s)\n%s", gj, filepath.Base(golden), wj)
			}
			// The file system layer and the std sources are the same on both
			// platforms: shared blobs.
			a, r := got.Platforms["linux/amd64"].Layers, got.Platforms["linux/arm64"].Layers
			if len(a) != 6 || len(r) != 6 {
				t.Fatalf("layers = %d and %d, want 6 each (rootfs, toolchain, std, cmd, tests, rest)", len(a), len(r))
			}
			if a[0] != r[0] || a[1] == r[1] || a[2] != r[2] {
				t.Errorf("rootfs layers %s %s should match, toolchain layers %s %s differ and std layers %s %s match", a[0], r[0], a[1], r[1], a[2], r[2])
			}
		})
	}
}

// TestBaseGOROOTHidden builds on a base that already has a (fuller) GOROOT
// at the same path and unpacks the result with umoci: only the new SDK's
// files may be there, thanks to the opaque whiteout of the reset layer.
func TestBaseGOROOTHidden(t *testing.T) {
	testenv.NeedTool(t, "umoci")
	ctx := context.Background()
	dir := t.TempDir()
	full := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64")})
	writeLayout(t, filepath.Join(dir, "base"), "full", full)
	r, err := recipes.Lookup(filepath.Join("testdata", "notests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := imageref.Load(ctx, "oci:"+filepath.Join(dir, "base")+":full")
	if err != nil {
		t.Fatal(err)
	}
	res := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Recipe: r, Base: base}})
	writeLayout(t, filepath.Join(dir, "out"), "slim", res)
	bundle := filepath.Join(dir, "bundle")
	if o, err := exec.Command("umoci", "unpack", "--image", filepath.Join(dir, "out")+":slim", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, o)
	}
	goroot := filepath.Join(bundle, "rootfs", "usr", "local", "go")
	for _, gone := range []string{"src/fmt/print_test.go", "src/fmt/testdata", "api", "doc", "test", ".wh..wh..opq"} {
		if _, err := os.Lstat(filepath.Join(goroot, gone)); err == nil {
			t.Errorf("%s from the base's GOROOT is still in the image", gone)
		}
	}
	for _, kept := range []string{"bin/go", "src/fmt/print.go", "VERSION"} {
		if _, err := os.Stat(filepath.Join(goroot, kept)); err != nil {
			t.Errorf("%s missing: %v", kept, err)
		}
	}
}
