package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/testkit/faultproxy"
)

func TestWriteLayout(t *testing.T) {
	res := buildFake(t, assemble.Options{})
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("new", func(t *testing.T) {
		out := filepath.Join(dir, "new")
		if err := publishLayout(ctx, out, "v1", res); err != nil {
			t.Fatal(err)
		}
		checkLayoutTags(t, out, map[string]v1.ImageIndex{"v1": res.Index})
	})
	t.Run("existing layout keeps other tags and replaces its own", func(t *testing.T) {
		out := filepath.Join(dir, "new")
		other := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64")})
		if err := publishLayout(ctx, out, "v2", other); err != nil {
			t.Fatal(err)
		}
		if err := publishLayout(ctx, out, "v1", other); err != nil {
			t.Fatal(err)
		}
		if err := publishLayout(ctx, out, "v1", res); err != nil {
			t.Fatal(err)
		}
		checkLayoutTags(t, out, map[string]v1.ImageIndex{"v1": res.Index, "v2": other.Index})
	})
	t.Run("platform tags", func(t *testing.T) {
		out := filepath.Join(dir, "ptags")
		if err := publishLayout(ctx, out, "1.99", res, WithPlatformTags(true)); err != nil {
			t.Fatal(err)
		}
		p, _ := layout.FromPath(out)
		top, _ := p.ImageIndex()
		im, _ := top.IndexManifest()
		got := map[string]types.MediaType{}
		for _, d := range im.Manifests {
			got[d.Annotations[imageref.AnnotationRefName]] = d.MediaType
		}
		want := map[string]types.MediaType{"1.99": types.OCIImageIndex, "1.99-linux-amd64": types.OCIManifestSchema1, "1.99-linux-arm64": types.OCIManifestSchema1}
		if len(got) != len(want) {
			t.Errorf("index.json tags = %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("tag %q = %q, want %q", k, got[k], v)
			}
		}
	})
	t.Run("empty dir", func(t *testing.T) {
		out := filepath.Join(dir, "empty")
		os.Mkdir(out, 0o755)
		if err := publishLayout(ctx, out, "", res); err != nil {
			t.Fatal(err)
		}
		checkLayoutTags(t, out, map[string]v1.ImageIndex{"latest": res.Index})
	})
	t.Run("not a layout", func(t *testing.T) {
		out := filepath.Join(dir, "precious")
		os.Mkdir(out, 0o755)
		os.WriteFile(filepath.Join(out, "thesis.tex"), []byte("do not lose"), 0o644)
		err := publishLayout(ctx, out, "", res)
		if err == nil || !strings.Contains(err.Error(), "not an OCI image layout") {
			t.Fatalf("WriteLayout(non-layout dir) = %v, want refusal", err)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "thesis.tex")); string(b) != "do not lose" {
			t.Error("WriteLayout changed a directory it refused")
		}
		if err := CheckLayout(out); err == nil {
			t.Error("CheckLayout(non-layout dir) = nil, want error")
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		out := filepath.Join(dir, "interrupted")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := publishLayout(cctx, out, "", res); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteLayout(cancelled) = %v, want context.Canceled", err)
		}
		if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("interrupted WriteLayout left %s (stat: %v)", out, err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".interrupted*")); len(left) > 0 {
			t.Errorf("interrupted WriteLayout left %v", left)
		}
	})
}

func checkLayoutTags(t *testing.T, dir string, want map[string]v1.ImageIndex) {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != len(want) {
		t.Errorf("index.json lists %d manifests, want %d", len(im.Manifests), len(want))
	}
	for _, d := range im.Manifests {
		tag := d.Annotations[imageref.AnnotationRefName]
		w, ok := want[tag]
		if !ok {
			t.Errorf("unexpected tag %q", tag)
			continue
		}
		wd, _ := w.Digest()
		if d.Digest != wd || d.MediaType != types.OCIImageIndex {
			t.Errorf("tag %q = %s %s, want %s %s", tag, d.MediaType, d.Digest, types.OCIImageIndex, wd)
		}
		idx, err := top.ImageIndex(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Index(idx); err != nil {
			t.Errorf("validate.Index(%s): %v", tag, err)
		}
	}
}

func TestWriteTarball(t *testing.T) {
	res := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64")})
	file := filepath.Join(t.TempDir(), "img.tar")
	if err := writeTarball(context.Background(), file, "example.com/go:1.99", res); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.com/go:1.99")
	img, err := tarball.ImageFromPath(file, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("validate.Image(tarball): %v", err)
	}
	got, _ := img.ConfigName()
	want, _ := res.Images[0].Image.ConfigName()
	if got != want {
		t.Errorf("tarball image config = %s, want %s", got, want)
	}

	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	bad := filepath.Join(filepath.Dir(file), "cancelled.tar")
	if err := writeTarball(cctx, bad, "", res); err == nil {
		t.Error("WriteTarball(cancelled) = nil, want error")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*cancelled*")); len(left) > 0 {
		t.Errorf("interrupted WriteTarball left %v", left)
	}
}

// faultyRegistry wraps the in-memory registry: it counts blob uploads and
// can refuse requests.
type faultyRegistry struct {
	h         http.Handler
	uploads   atomic.Int32
	failPaths atomic.Value // string: a substring of paths that get a 500
	unauth    atomic.Bool
}

func (f *faultyRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.unauth.Load() {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
		return
	}
	if p, _ := f.failPaths.Load().(string); p != "" && r.Method != http.MethodGet && r.Method != http.MethodHead && strings.Contains(r.URL.Path, p) {
		http.Error(w, "injected failure", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
		f.uploads.Add(1)
	}
	f.h.ServeHTTP(w, r)
}

func TestPush(t *testing.T) {
	reg := &faultyRegistry{h: quietRegistry()}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/go/sdk:1.99"
	ctx := context.Background()

	first := buildFake(t, assemble.Options{})
	if err := checkPush(ctx, ref); err != nil {
		t.Fatalf("CheckPush(empty repo) = %v", err)
	}
	if err := push(ctx, ref, first); err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref)
	got, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(got); err != nil {
		t.Errorf("validate.Index(pushed): %v", err)
	}
	want, _ := first.Index.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("pushed index = %s, want %s", d, want)
	}

	t.Run("existing blobs are skipped", func(t *testing.T) {
		before := reg.uploads.Load()
		if err := push(ctx, host+"/go/sdk:again", first); err != nil {
			t.Fatal(err)
		}
		if n := reg.uploads.Load() - before; n != 0 {
			t.Errorf("second push of the same index started %d blob uploads, want 0", n)
		}
	})

	t.Run("failed push leaves the tag", func(t *testing.T) {
		second := buildFake(t, assemble.Options{Resolved: imagespec.Resolved{Compression: "zstd"}})
		reg.failPaths.Store("/blobs/uploads/")
		err := push(ctx, ref, second)
		reg.failPaths.Store("")
		if err == nil {
			t.Fatal("Push with failing uploads = nil error")
		}
		d, err := remote.Head(r)
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest != want {
			t.Errorf("after a failed push the tag is %s, want it left at %s", d.Digest, want)
		}
	})

	t.Run("401", func(t *testing.T) {
		t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials
		reg.unauth.Store(true)
		defer reg.unauth.Store(false)
		err := checkPush(ctx, ref)
		if err == nil || !strings.Contains(err.Error(), "no credentials for "+host+"; run docker login or set DOCKER_CONFIG") {
			t.Errorf("CheckPush(401) = %v, want the no-credentials message", err)
		}
		err = push(ctx, ref, first)
		if err == nil || !strings.Contains(err.Error(), "no credentials for "+host) {
			t.Errorf("Push(401) = %v, want the no-credentials message", err)
		}
	})
}

// TestPushThroughFaults pushes through testkit/faultproxy: 503s and 429s
// on uploads are retried until the push succeeds; a tag update that keeps
// failing fails the push and leaves the tag on the previous index.
func TestPushThroughFaults(t *testing.T) {
	srv := httptest.NewServer(quietRegistry())
	defer srv.Close()
	px := faultproxy.Start(t, srv.URL)
	ref := px.Host() + "/go/faults:1.99"
	ctx := context.Background()
	first := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64")})
	if err := px.SetRules(
		faultproxy.Rule{Name: "upload-503", Method: http.MethodPut, Path: "/v2/.+/blobs/uploads/.+", Times: 2, Fault: faultproxy.Fail(http.StatusServiceUnavailable)},
		faultproxy.Rule{Name: "manifest-429", Method: http.MethodPut, Path: "/v2/.+/manifests/.+", Times: 1, Fault: faultproxy.FailRetryAfter(http.StatusTooManyRequests, "0")},
	); err != nil {
		t.Fatal(err)
	}
	if err := push(ctx, ref, first); err != nil {
		t.Fatalf("Push through transient faults: %v", err)
	}
	if px.Hits("upload-503") != 2 || px.Hits("manifest-429") != 1 {
		t.Errorf("faults fired %d and %d times, want 2 and 1", px.Hits("upload-503"), px.Hits("manifest-429"))
	}
	r, _ := name.ParseReference(ref)
	want, _ := first.Index.Digest()
	if d, err := remote.Head(r); err != nil || d.Digest != want {
		t.Fatalf("tag after push = %v, %v; want %s", d, err, want)
	}

	second := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Compression: "zstd"}})
	if err := px.SetRules(faultproxy.Rule{Name: "tag-500", Method: http.MethodPut, Path: "/v2/.+/manifests/1.99$", Fault: faultproxy.Fail(http.StatusInternalServerError)}); err != nil {
		t.Fatal(err)
	}
	if err := push(ctx, ref, second); err == nil {
		t.Fatal("Push with the tag update failing = nil error")
	}
	if d, err := remote.Head(r); err != nil || d.Digest != want {
		t.Errorf("tag after a failed push = %v, %v; want it left at %s", d, err, want)
	}
	// The platform manifest went up by digest before the tag was tried.
	im, _ := second.Index.IndexManifest()
	if _, err := remote.Head(r.Context().Digest(im.Manifests[0].Digest.String())); err != nil {
		t.Errorf("platform manifest was not pushed before the tag: %v", err)
	}
}

// TestWriteLayoutConcurrent has several writers create one new layout at
// once, each with its own tag: every write succeeds and every tag is there.
func TestWriteLayoutConcurrent(t *testing.T) {
	res := buildFake(t, assemble.Options{})
	out := filepath.Join(t.TempDir(), "shared")
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- publishLayout(context.Background(), out, fmt.Sprintf("t%d", i), res)
		}()
	}
	want := map[string]v1.ImageIndex{}
	for i := range n {
		if err := <-errs; err != nil {
			t.Errorf("concurrent WriteLayout: %v", err)
		}
		want[fmt.Sprintf("t%d", i)] = res.Index
	}
	checkLayoutTags(t, out, want)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".shared.tmp-*")); len(left) > 0 {
		t.Errorf("temporary layouts left behind: %v", left)
	}
}
