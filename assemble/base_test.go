package assemble

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
)

func buildFake(t *testing.T, o Options) *Result {
	t.Helper()
	if o.SDKs == nil {
		o.SDKs = fakeSDKs(t, "amd64", "arm64")
	}
	res, err := Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func TestBuildOnBase(t *testing.T) {
	srv := httptest.NewServer(quietRegistry())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()

	// A Docker-media-type base with two platforms.
	var adds []v1.Image
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(512, 2)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		cf.Config.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "GOROOT=/old"}
		cf.Config.Labels = map[string]string{"maintainer": "base", imageconfig.LabelSDKHash: "from-base"}
		img, err = mutateConfig(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, img)
	}
	baseRef := host + "/base:bookworm"
	if err := pushDockerIndex(baseRef, adds); err != nil {
		t.Fatal(err)
	}
	base, err := imageref.Load(ctx, baseRef)
	if err != nil {
		t.Fatal(err)
	}
	res := buildFake(t, Options{Resolved: imagespec.Resolved{Base: base}})
	if err := validate.Index(res.Index); err != nil {
		t.Errorf("validate.Index: %v", err)
	}
	for i, pi := range res.Images {
		m, err := pi.Image.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
			t.Errorf("%s manifest/config media types = %s / %s, want OCI", pi.Platform.Architecture, m.MediaType, m.Config.MediaType)
		}
		for _, l := range m.Layers {
			if !strings.HasPrefix(string(l.MediaType), "application/vnd.oci.image.layer.") {
				t.Errorf("layer %s has media type %s, want OCI", l.Digest, l.MediaType)
			}
		}
		// 2 base layers, the file system layer, the reset layer, 5 GOROOT layers.
		if len(m.Layers) != 9 {
			t.Errorf("%d layers, want 9", len(m.Layers))
		}
		bm, _ := adds[i].Manifest()
		if m.Layers[0].Digest != bm.Layers[0].Digest {
			t.Errorf("first layer %s is not the base's %s", m.Layers[0].Digest, bm.Layers[0].Digest)
		}
		cf, _ := pi.Image.ConfigFile()
		env := strings.Join(cf.Config.Env, " ")
		if !strings.Contains(env, "PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin") || !strings.Contains(env, "LANG=C.UTF-8") || strings.Contains(env, "/old") {
			t.Errorf("Env = %q, want the base's PATH extended, LANG kept and the base's GOROOT gone", env)
		}
		if cf.Config.Labels["maintainer"] != "base" || cf.Config.Labels[imageconfig.LabelOCIBaseName] == "" ||
			cf.Config.Labels[imageconfig.LabelOCIBaseDigest] != base.Digest.String() {
			t.Errorf("labels = %v, want the base's kept and base name/digest set", cf.Config.Labels)
		}
		if _, ok := cf.Config.Labels[imageconfig.LabelSDKHash]; ok {
			t.Errorf("label %s inherited from the base", imageconfig.LabelSDKHash)
		}
		if len(cf.History) < 6 || !strings.Contains(cf.History[len(cf.History)-6].CreatedBy, "opaque whiteout") {
			t.Errorf("history does not name the reset layer: %+v", cf.History)
		}
	}
	// A base without the platform is refused before any work.
	_, err = Assemble(ctx, Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Base: mustLoad(t, "oci:"+writeSinglePlatform(t, adds[1]))}})
	if err == nil || !strings.Contains(err.Error(), "not linux/amd64") {
		t.Errorf("Build on an arm64-only base = %v, want a platform error", err)
	}
}

func mustLoad(t *testing.T, s string) *imageref.Ref {
	t.Helper()
	r, err := imageref.Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeSinglePlatform(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, emptyIndex())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}
