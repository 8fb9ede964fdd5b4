package release

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/provenance"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// fakeSDKs opens build's tiny test SDKs as if they came from the proxy.
func fakeSDKs(t *testing.T) []*sdk.SDK {
	t.Helper()
	var out []*sdk.SDK
	for _, arch := range []string{"amd64", "arm64"} {
		s, err := sdk.Open("../assemble/testdata/sdk-linux-" + arch)
		if err != nil {
			t.Fatal(err)
		}
		s.Source = "golang.org/toolchain@v0.0.1-go1.99.0.linux-" + arch
		s.Hash = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
		out = append(out, s)
	}
	return out
}

func buildWithProvenance(t *testing.T) (*assemble.Result, assemble.Options) {
	t.Helper()
	r, err := recipes.Lookup("slim")
	if err != nil {
		t.Fatal(err)
	}
	o := assemble.Options{SDKs: fakeSDKs(t), Recipe: r, MTime: time.Unix(1700000000, 0).UTC(), CacheDir: t.TempDir()}
	res, err := assemble.Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	if err := AddProvenance(res, o, Provenance{Subject: "registry.example/go", Builder: provenance.Builder{Version: "v0.1.0", GoVersion: "go1.26.8"}}); err != nil {
		t.Fatal(err)
	}
	return res, o
}

// TestAddProvenance checks each platform image gets one valid statement
// whose subject is that image and whose dependencies name its SDK's hash,
// and that the same inputs give the same bytes.
func TestAddProvenance(t *testing.T) {
	res, o := buildWithProvenance(t)
	again, _ := buildWithProvenance(t)
	for i, pi := range res.Images {
		if len(pi.Referrers) != 1 {
			t.Fatalf("image %d has %d referrers, want 1 (provenance)", i, len(pi.Referrers))
		}
		r := pi.Referrers[0]
		if r.Kind != ProvenanceKind || r.ArtifactType != provenance.ArtifactType {
			t.Errorf("referrer = %s %s, want %s %s", r.Kind, r.ArtifactType, ProvenanceKind, provenance.ArtifactType)
		}
		if err := provenance.Validate(r.Data); err != nil {
			t.Errorf("Validate(statement of %s) = %v", pi.Platform.Architecture, err)
		}
		if !bytes.Equal(r.Data, again.Images[i].Referrers[0].Data) {
			t.Errorf("statement of %s differs between two builds of the same inputs", pi.Platform.Architecture)
		}
		var st struct {
			Subject []struct {
				Name   string
				Digest map[string]string
			}
			Predicate struct {
				BuildDefinition struct {
					ExternalParameters   map[string]any
					ResolvedDependencies []struct {
						Name        string
						Annotations map[string]string
					}
				}
			}
		}
		if err := json.Unmarshal(r.Data, &st); err != nil {
			t.Fatal(err)
		}
		d, _ := pi.Image.Digest()
		if len(st.Subject) != 1 || st.Subject[0].Digest["sha256"] != d.Hex || st.Subject[0].Name != "registry.example/go" {
			t.Errorf("subject = %+v, want registry.example/go with the image digest %s", st.Subject, d)
		}
		deps := st.Predicate.BuildDefinition.ResolvedDependencies
		if len(deps) < 2 || deps[0].Name != o.SDKs[i].Source || deps[0].Annotations["hash"] != o.SDKs[i].Hash {
			t.Errorf("dependencies = %+v, want the SDK %s with hash %s first", deps, o.SDKs[i].Source, o.SDKs[i].Hash)
		}
		if got := st.Predicate.BuildDefinition.ExternalParameters["recipe"]; got != "slim" {
			t.Errorf("externalParameters.recipe = %v, want slim", got)
		}
	}
}
