package imagetest

import (
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/sdk"
)

// FakeSDKs opens the fake SDKs dir/sdk-linux-ARCH (assemble/testdata).
func FakeSDKs(t testing.TB, dir string, arches ...string) []*sdk.SDK {
	t.Helper()
	var out []*sdk.SDK
	for _, a := range arches {
		s, err := sdk.Open(filepath.Join(dir, "sdk-linux-"+a))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// Digests lists every digest of an index: the index, and per platform the
// manifest, the config and the layers.
type Digests struct {
	Index     string                     `json:"index"`
	Platforms map[string]PlatformDigests `json:"platforms"`
}

// PlatformDigests are one platform image's digests.
type PlatformDigests struct {
	Manifest string   `json:"manifest"`
	Config   string   `json:"config"`
	Layers   []string `json:"layers"`
}

// DigestsOf reads the digests of idx, platforms named "os/arch".
func DigestsOf(t testing.TB, idx v1.ImageIndex) Digests {
	t.Helper()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	out := Digests{Index: d.String(), Platforms: map[string]PlatformDigests{}}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		man, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		pd := PlatformDigests{Manifest: m.Digest.String(), Config: man.Config.Digest.String()}
		for _, l := range man.Layers {
			pd.Layers = append(pd.Layers, l.Digest.String())
		}
		out.Platforms[imageref.FormatPlatform(*m.Platform)] = pd
	}
	return out
}
