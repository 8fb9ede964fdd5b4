package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/assemble"
)

// The OCI empty descriptor's content and media type, which artifact
// manifests use as their config.
const (
	emptyConfig          = "{}"
	emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
)

// Artifact returns r as an OCI 1.1 artifact manifest (artifactType
// r.ArtifactType, the empty config, one layer holding r.Data) whose
// subject is the image or index described by subject, so registries'
// referrers API and tools such as oras and cosign find it from the image.
// The same referrer and subject give the same bytes.
func Artifact(r assemble.Referrer, subject v1.Descriptor) (v1.Image, error) {
	if subject.Digest == (v1.Hash{}) || subject.MediaType == "" || subject.Size == 0 {
		return nil, fmt.Errorf("making %s artifact: subject needs a digest, media type and size", r.Kind)
	}
	if r.ArtifactType == "" {
		return nil, fmt.Errorf("making %s artifact: no artifact type", r.Kind)
	}
	layer := static.NewLayer(r.Data, r.BlobMediaType())
	ld, err := partial.Descriptor(layer)
	if err != nil {
		return nil, fmt.Errorf("making %s artifact: %w", r.Kind, err)
	}
	sub := v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  r.ArtifactType,
		Config: v1.Descriptor{
			MediaType: emptyConfigMediaType,
			Size:      int64(len(emptyConfig)),
			Digest:    emptyConfigDigest(),
			Data:      []byte(emptyConfig),
		},
		Layers:  []v1.Descriptor{{MediaType: ld.MediaType, Size: ld.Size, Digest: ld.Digest}},
		Subject: &sub,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("making %s artifact: %w", r.Kind, err)
	}
	return partial.CompressedToImage(&artifact{manifest: raw, layer: layer})
}

func emptyConfigDigest() v1.Hash {
	sum := sha256.Sum256([]byte(emptyConfig))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// artifact is a manifest whose config is the empty descriptor, which
// go-containerregistry's mutate package cannot produce.
type artifact struct {
	manifest []byte
	layer    v1.Layer
}

var _ partial.CompressedImageCore = (*artifact)(nil)

func (a *artifact) RawConfigFile() ([]byte, error)      { return []byte(emptyConfig), nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	d, err := a.layer.Digest()
	if err != nil {
		return nil, err
	}
	if h == d {
		return a.layer, nil
	}
	if h == emptyConfigDigest() {
		return static.NewLayer([]byte(emptyConfig), emptyConfigMediaType), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}

// referrerArtifacts makes the artifacts of every referrer of res, each with
// its subject image.
func referrerArtifacts(res *assemble.Result) ([]referrerArtifact, error) {
	var out []referrerArtifact
	for _, pi := range res.Images {
		if len(pi.Referrers) == 0 {
			continue
		}
		subject, err := partial.Descriptor(pi.Image)
		if err != nil {
			return nil, err
		}
		for _, r := range pi.Referrers {
			art, err := Artifact(r, *subject)
			if err != nil {
				return nil, err
			}
			d, err := art.Digest()
			if err != nil {
				return nil, err
			}
			out = append(out, referrerArtifact{Referrer: r, image: pi, subject: *subject, art: art, digest: d})
		}
	}
	return out, nil
}

// referrerArtifact is a referrer made into its artifact manifest.
type referrerArtifact struct {
	assemble.Referrer
	image   assemble.PlatformImage
	subject v1.Descriptor
	art     v1.Image
	digest  v1.Hash
}
