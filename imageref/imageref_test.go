package imageref

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// platformImage returns a random image whose config names p.
func platformImage(t *testing.T, p v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// twoPlatformIndex builds an index of a linux/amd64 and a linux/arm64 image
// plus an attestation-style "unknown/unknown" manifest.
func twoPlatformIndex(t *testing.T) (v1.ImageIndex, map[string]v1.Hash) {
	t.Helper()
	a, b := platformImage(t, amd64), platformImage(t, arm64)
	att, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ii := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Platform: &amd64}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Platform: &arm64}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}},
	)
	da, _ := a.Digest()
	db, _ := b.Digest()
	return ii, map[string]v1.Hash{"linux/amd64": da, "linux/arm64": db}
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func checkPlatforms(t *testing.T, r *Ref, want ...string) {
	t.Helper()
	var got []string
	for _, p := range r.Platforms() {
		got = append(got, FormatPlatform(p))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s.Platforms() = %v, want %v", r.Name, got, want)
	}
}

func TestRemote(t *testing.T) {
	ctx := context.Background()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")

	ii, want := twoPlatformIndex(t)
	idxRef, _ := name.ParseReference(host + "/sdk/index:v1")
	if err := remote.WriteIndex(idxRef, ii); err != nil {
		t.Fatal(err)
	}
	single := platformImage(t, arm64)
	imgRef, _ := name.ParseReference(host + "/sdk/single:v1")
	if err := remote.Write(imgRef, single); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := ii.Digest()

	for _, s := range []string{host + "/sdk/index:v1", "image:" + host + "/sdk/index:v1", host + "/sdk/index@" + idxDigest.String()} {
		r, err := Load(ctx, s)
		if err != nil {
			t.Fatalf("Load(%q): %v", s, err)
		}
		if r.Kind != KindRemote || r.Digest != idxDigest || r.Index() == nil {
			t.Errorf("Load(%q) = kind %s digest %s index %v, want image, %s, an index", s, r.Kind, r.Digest, r.Index() != nil, idxDigest)
		}
		checkPlatforms(t, r, "linux/amd64", "linux/arm64")
		for p, d := range want {
			pp, _ := v1.ParsePlatform(p)
			img, err := r.Image(*pp)
			if err != nil {
				t.Fatalf("Image(%s): %v", p, err)
			}
			if got := digest(t, img); got != d {
				t.Errorf("Load(%q).Image(%s) digest = %s, want %s", s, p, got, d)
			}
			if err := validate.Image(img); err != nil {
				t.Errorf("validate.Image(%s): %v", p, err)
			}
		}
		if _, err := r.Image(v1.Platform{OS: "linux", Architecture: "s390x"}); err == nil || !strings.Contains(err.Error(), "no image for linux/s390x; it has linux/amd64, linux/arm64") {
			t.Errorf("Image(linux/s390x) error = %v, want it to list the platforms", err)
		}
	}

	r, err := Load(ctx, "image:"+host+"/sdk/single:v1")
	if err != nil {
		t.Fatal(err)
	}
	checkPlatforms(t, r, "linux/arm64")
	if r.Digest != digest(t, single) {
		t.Errorf("single digest = %s, want %s", r.Digest, digest(t, single))
	}
	if _, err := r.Image(amd64); err == nil || !strings.Contains(err.Error(), "is a linux/arm64 image, not linux/amd64") {
		t.Errorf("Image(amd64) of an arm64 image: error = %v", err)
	}

	if _, err := Load(ctx, host+"/sdk/missing:v1"); err == nil || !strings.Contains(err.Error(), "sdk/missing:v1") {
		t.Errorf("Load(missing) error = %v, want one naming the reference", err)
	}
	if _, err := Load(ctx, "image:Not A Ref"); err == nil || !strings.Contains(err.Error(), `parsing image reference "Not A Ref"`) {
		t.Errorf("Load(bad ref) error = %v", err)
	}
}

func TestPlainHTTPOnlyLoopback(t *testing.T) {
	var hits int
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++; w.WriteHeader(404) }))
	defer s.Close()
	// A transport that sends every request to the test server whatever the
	// host, so a private (RFC 1918) registry name can be tried for real.
	redirect := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Scheme == "https" {
			return nil, &tlsRefused{}
		}
		req = req.Clone(req.Context())
		req.URL.Host = strings.TrimPrefix(s.URL, "http://")
		return http.DefaultTransport.RoundTrip(req)
	})
	_, err := Load(context.Background(), "10.1.2.3:5000/sdk:v1", WithTransport(redirect), WithRetries(1))
	var pe *PlainHTTPError
	if !errors.As(err, &pe) || pe.Host != "10.1.2.3:5000" {
		t.Errorf("Load(private registry) error = %v, want a *PlainHTTPError for 10.1.2.3:5000", err)
	}
	if hits != 0 {
		t.Errorf("plain HTTP requests reached the server %d times, want 0", hits)
	}
	_, err = Load(context.Background(), "10.1.2.3:5000/sdk:v1", WithTransport(redirect), WithInsecure(true), WithRetries(1))
	if err == nil || errors.As(err, &pe) {
		t.Errorf("Load(private registry, insecure) error = %v, want a 404 from the server", err)
	}
	if hits == 0 {
		t.Errorf("with WithInsecure no plain HTTP request reached the server")
	}
}

type tlsRefused struct{}

func (*tlsRefused) Error() string { return "tls: refused by test" }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOCILayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ii, want := twoPlatformIndex(t)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(ii, layout.WithAnnotations(map[string]string{AnnotationRefName: "multi"})); err != nil {
		t.Fatal(err)
	}
	single := platformImage(t, amd64)
	if err := lp.AppendImage(single, layout.WithAnnotations(map[string]string{AnnotationRefName: "example.com/sdk:one"})); err != nil {
		t.Fatal(err)
	}

	r, err := Load(ctx, "oci:"+dir+":multi")
	if err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := ii.Digest()
	if r.Digest != idxDigest || r.Kind != KindOCI || r.Name != "oci:"+dir+":multi" {
		t.Errorf("Load(oci:DIR:multi) = %s %s %s, want %s", r.Kind, r.Name, r.Digest, idxDigest)
	}
	checkPlatforms(t, r, "linux/amd64", "linux/arm64")
	img, err := r.Image(arm64)
	if err != nil {
		t.Fatal(err)
	}
	if got := digest(t, img); got != want["linux/arm64"] {
		t.Errorf("arm64 digest = %s, want %s", got, want["linux/arm64"])
	}
	if err := validate.Image(img); err != nil {
		t.Error(err)
	}

	// A tag matches the end of a full "name:tag" annotation too.
	r, err = Load(ctx, "oci:"+dir+":one")
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != digest(t, single) || r.Index() != nil {
		t.Errorf("Load(oci:DIR:one) digest = %s, want %s", r.Digest, digest(t, single))
	}

	for _, tc := range []struct{ in, want string }{
		{"oci:" + dir, "holds 2 manifests; name one as oci:DIR:TAG (tags: example.com/sdk:one, multi)"},
		{"oci:" + dir + ":nope", `no manifest tagged "nope"; tags: example.com/sdk:one, multi`},
		{"oci:" + filepath.Join(dir, "absent"), "no index.json"},
		{"oci:", "needs a directory"},
	} {
		if _, err := Load(ctx, tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}

	// A layout with a single untagged manifest needs no tag, and a
	// directory whose name has a colon still works.
	dir2 := filepath.Join(t.TempDir(), "a:b")
	lp2, err := layout.Write(dir2, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp2.AppendImage(single); err != nil {
		t.Fatal(err)
	}
	r, err = Load(ctx, "oci:"+dir2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != digest(t, single) {
		t.Errorf("Load(oci:%s) digest = %s, want %s", dir2, r.Digest, digest(t, single))
	}
}

func TestTarball(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "img.tar")
	img := platformImage(t, amd64)
	tag, _ := name.NewTag("example.com/sdk:t")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	r, err := Load(ctx, "tarball:"+file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Image(amd64)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(got); err != nil {
		t.Error(err)
	}
	if r.Digest != digest(t, img) || digest(t, got) != digest(t, img) {
		t.Errorf("tarball digest = %s, want %s", r.Digest, digest(t, img))
	}
	checkPlatforms(t, r, "linux/amd64")

	bad := filepath.Join(t.TempDir(), "bad.tar")
	os.WriteFile(bad, []byte("not a tarball"), 0o644)
	for _, s := range []string{"tarball:" + bad, "tarball:" + filepath.Join(t.TempDir(), "none.tar"), "tarball:"} {
		if _, err := Load(ctx, s); err == nil {
			t.Errorf("Load(%q) = nil error, want one", s)
		}
	}
}

func TestScratch(t *testing.T) {
	r, err := Load(context.Background(), "scratch")
	if err != nil {
		t.Fatal(err)
	}
	if r != Scratch || !r.IsScratch() || len(r.Platforms()) != 0 {
		t.Errorf("Load(scratch) = %+v, want Scratch", r)
	}
	img, err := r.Image(arm64)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	cf, _ := img.ConfigFile()
	if len(layers) != 0 || cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("scratch image: %d layers, platform %s/%s; want 0 layers, linux/arm64", len(layers), cf.OS, cf.Architecture)
	}
	if err := validate.Image(img); err != nil {
		t.Error(err)
	}
}

func TestSplitOCI(t *testing.T) {
	for _, tc := range []struct{ in, dir, tag string }{
		{"dir", "dir", ""},
		{"dir:tag", "dir", "tag"},
		{"/a/b:v1.2", "/a/b", "v1.2"},
		{"a:b/c", "a:b/c", ""},
	} {
		dir, tag := splitOCI(tc.in)
		if dir != tc.dir || tag != tc.tag {
			t.Errorf("splitOCI(%q) = %q, %q; want %q, %q", tc.in, dir, tag, tc.dir, tc.tag)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Option{WithRetries(0), WithKeychain(nil), WithTransport(nil)} {
		if _, err := Load(context.Background(), "scratch", o); err == nil {
			t.Errorf("Load with a bad option: nil error")
		}
	}
}
