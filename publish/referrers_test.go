package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/sbom"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// sbomOf returns platform image i's SBOM referrer and its artifact digest.
func sbomOf(t *testing.T, res *assemble.Result, i int) (assemble.Referrer, v1.Hash) {
	t.Helper()
	pi := res.Images[i]
	if len(pi.Referrers) != 1 || pi.Referrers[0].ArtifactType != sbom.MediaType {
		t.Fatalf("image %d has referrers %+v, want one SBOM", i, pi.Referrers)
	}
	subject, err := partial.Descriptor(pi.Image)
	if err != nil {
		t.Fatal(err)
	}
	art, err := Artifact(pi.Referrers[0], *subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(art); err != nil {
		t.Errorf("validate.Image(artifact): %v", err)
	}
	d, _ := art.Digest()
	return pi.Referrers[0], d
}

// TestLayoutReferrers writes a result with SBOMs to a layout twice: each
// SBOM is an artifact whose subject is its image, tagged sbom-<prefix>,
// and the second write replaces the entries instead of adding more.
func TestLayoutReferrers(t *testing.T) {
	ctx := context.Background()
	res := buildFake(t, assemble.Options{Resolved: imagespec.Resolved{SBOM: true}})
	dir := filepath.Join(t.TempDir(), "out")
	var logs []string
	logf := func(f string, a ...any) { logs = append(logs, f) }
	for range 2 {
		if err := publishLayout(ctx, dir, "1.99", res, WithLogf(logf)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(top); err != nil {
		t.Errorf("validate.Index(layout): %v", err)
	}
	im, _ := top.IndexManifest()
	if len(im.Manifests) != 3 {
		t.Fatalf("index.json lists %d entries after two writes, want 3 (index, 2 SBOMs): %+v", len(im.Manifests), im.Manifests)
	}
	for i, pi := range res.Images {
		ref, want := sbomOf(t, res, i)
		sd, _ := pi.Image.Digest()
		tag := "sbom-" + sd.Hex[:12]
		var found *v1.Descriptor
		for _, m := range im.Manifests {
			if m.Annotations[imageref.AnnotationRefName] == tag {
				found = &m
			}
		}
		if found == nil || found.Digest != want || found.ArtifactType != sbom.MediaType {
			t.Fatalf("entry %s = %+v, want artifact %s of type %s", tag, found, want, sbom.MediaType)
		}
		art, err := top.Image(want)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := art.Manifest()
		if m.Subject == nil || m.Subject.Digest != sd || m.Config.MediaType != emptyConfigMediaType {
			t.Errorf("artifact manifest = %+v, want subject %s and the empty config", m, sd)
		}
		doc, err := sbom.FromArtifact(art)
		if err != nil || !bytes.Equal(doc, ref.Data) {
			t.Errorf("SBOM read back from the layout: %v, equal %v", err, bytes.Equal(doc, ref.Data))
		}
	}
	// index.json is indented as go-containerregistry writes it, so that
	// grep finds "key": "value".
	b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if !strings.Contains(string(b), `"artifactType": "application/spdx+json"`) {
		t.Errorf("index.json = %s, want the artifactType written as \"key\": \"value\"", b)
	}
	if len(logs) != 6 || logs[1] != "added %s %s for %s to %s" {
		t.Errorf("log lines = %q, want a layout line and two SBOM lines per write", logs)
	}
}

func TestTarballReferrers(t *testing.T) {
	res := buildFake(t, assemble.Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{SBOM: true}})
	file := filepath.Join(t.TempDir(), "img.tar")
	if err := writeTarball(context.Background(), file, "", res); err != nil {
		t.Fatal(err)
	}
	ref, _ := sbomOf(t, res, 0)
	b, err := os.ReadFile(file + ".spdx.json")
	if err != nil || !bytes.Equal(b, ref.Data) {
		t.Errorf("SBOM next to the tarball: %v, equal %v", err, bytes.Equal(b, ref.Data))
	}
	two := buildFake(t, assemble.Options{})
	if err := writeTarball(context.Background(), file, "", two); err == nil || !strings.Contains(err.Error(), "one image") {
		t.Errorf("tarball of two platforms = %v, want an error", err)
	}
}

// TestRegistryReferrers pushes SBOMs to the in-memory registry (referrers
// API) and Debian's docker-registry (the fallback tag) and finds them from
// each image; a failed referrer push leaves the tag where it was.
func TestRegistryReferrers(t *testing.T) {
	ctx := context.Background()
	res := buildFake(t, assemble.Options{Resolved: imagespec.Resolved{SBOM: true}})
	hosts := map[string]func(*testing.T) string{
		"ggcr": func(t *testing.T) string {
			s := httptest.NewServer(quietRegistry())
			t.Cleanup(s.Close)
			return strings.TrimPrefix(s.URL, "http://")
		},
		"docker-registry": func(t *testing.T) string {
			return testenv.StartRegistry(t, testenv.RegistryOptions{}).Host
		},
	}
	for what, start := range hosts {
		t.Run(what, func(t *testing.T) {
			host := start(t)
			ref := host + "/go:1.99"
			if err := push(ctx, ref, res); err != nil {
				t.Fatal(err)
			}
			repo, _ := name.NewRepository(host+"/go", name.Insecure)
			for i, pi := range res.Images {
				sref, want := sbomOf(t, res, i)
				sd, _ := pi.Image.Digest()
				idx, err := remote.Referrers(repo.Digest(sd.String()))
				if err != nil {
					t.Fatal(err)
				}
				im, _ := idx.IndexManifest()
				if len(im.Manifests) != 1 || im.Manifests[0].Digest != want || im.Manifests[0].ArtifactType != sbom.MediaType {
					t.Fatalf("referrers of %s = %+v, want the SBOM %s", sd, im.Manifests, want)
				}
				art, err := remote.Image(repo.Digest(want.String()))
				if err != nil {
					t.Fatal(err)
				}
				doc, err := sbom.FromArtifact(art)
				if err != nil || !bytes.Equal(doc, sref.Data) {
					t.Errorf("SBOM read back from the registry: %v, equal %v", err, bytes.Equal(doc, sref.Data))
				}
			}
		})
	}

	t.Run("tag moves after the referrers", func(t *testing.T) {
		reg := &faultyRegistry{h: quietRegistry()}
		srv := httptest.NewServer(reg)
		defer srv.Close()
		ref := strings.TrimPrefix(srv.URL, "http://") + "/go:1.99"
		first := buildFake(t, assemble.Options{})
		if err := push(ctx, ref, first); err != nil {
			t.Fatal(err)
		}
		p, err := NewRegistry(ref)
		if err != nil {
			t.Fatal(err)
		}
		was, _ := first.Index.Digest()
		if d, ok, err := p.Tagged(ctx); err != nil || !ok || d != was {
			t.Fatalf("Tagged() = %s, %v, %v; want %s", d, ok, err, was)
		}
		// The second platform's SBOM cannot be pushed: everything else can.
		second := buildFake(t, assemble.Options{Resolved: imagespec.Resolved{SBOM: true, Source: "https://example.com/changed"}})
		_, artDigest := sbomOf(t, second, 1)
		reg.failPaths.Store("/manifests/" + artDigest.String())
		err = p.Publish(ctx, second)
		reg.failPaths.Store("")
		if err == nil {
			t.Fatal("Publish with the SBOM push failing = nil error")
		}
		if !strings.Contains(err.Error(), "pushing SBOM to") {
			t.Errorf("Publish = %v, want it to fail pushing the SBOM", err)
		}
		if d, _, _ := p.Tagged(ctx); d != was {
			t.Errorf("after a failed push the tag is %s, want it left at %s", d, was)
		}
		if err := p.Publish(ctx, second); err != nil {
			t.Fatal(err)
		}
		now, _ := second.Index.Digest()
		if d, _, _ := p.Tagged(ctx); d != now {
			t.Errorf("after the push the tag is %s, want %s", d, now)
		}
	})
}

// TestArtifactBytes pins the artifact manifest: the same bytes as the
// SBOM artifacts gorootimg has always pushed.
func TestArtifactBytes(t *testing.T) {
	subject := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 7,
		Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}, ArtifactType: "ignored"}
	art, err := Artifact(assemble.Referrer{Kind: "SBOM", ArtifactType: sbom.MediaType, Data: []byte("{}\n")}, subject)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := art.RawManifest()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	want := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","data":"e30="},"layers":[{"mediaType":"application/spdx+json","size":3,"digest":"sha256:ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356"}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":"sha256:abababababababababababababababababababababababababababababababab"},"artifactType":"application/spdx+json"}`
	if string(raw) != want {
		t.Errorf("artifact manifest =\n%s\nwant\n%s", raw, want)
	}
	if _, err := Artifact(assemble.Referrer{Kind: "SBOM", ArtifactType: sbom.MediaType}, v1.Descriptor{}); err == nil {
		t.Error("Artifact without a subject = nil error")
	}
}
