package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MediaType is the media type of an SPDX JSON document, used as the
// artifact type and the layer media type of the artifact manifest.
const MediaType = "application/spdx+json"

// emptyConfig is the OCI empty descriptor's content and media type, which
// artifact manifests use as their config.
const (
	emptyConfig          = "{}"
	emptyConfigMediaType = "application/vnd.oci.empty.v1+json"
)

// FileName is the name of the document written next to a prepared tree.
const FileName = "sbom.spdx.json"

// Artifact returns an OCI 1.1 artifact manifest (artifactType
// application/spdx+json, empty config, one layer holding doc) whose subject
// is the image or index described by subject, so registries' referrers API
// and tools such as oras and cosign find it from the image.
func Artifact(doc []byte, subject v1.Descriptor) (v1.Image, error) {
	if subject.Digest == (v1.Hash{}) || subject.MediaType == "" || subject.Size == 0 {
		return nil, fmt.Errorf("making SBOM artifact: subject needs a digest, media type and size")
	}
	layer := static.NewLayer(doc, MediaType)
	ld, err := partial.Descriptor(layer)
	if err != nil {
		return nil, fmt.Errorf("making SBOM artifact: %w", err)
	}
	sum := sha256.Sum256([]byte(emptyConfig))
	sub := v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  MediaType,
		Config: v1.Descriptor{
			MediaType: emptyConfigMediaType,
			Size:      int64(len(emptyConfig)),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
			Data:      []byte(emptyConfig),
		},
		Layers:  []v1.Descriptor{{MediaType: ld.MediaType, Size: ld.Size, Digest: ld.Digest}},
		Subject: &sub,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("making SBOM artifact: %w", err)
	}
	return partial.CompressedToImage(&artifact{manifest: raw, layer: layer})
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
	sum := sha256.Sum256([]byte(emptyConfig))
	if h.Hex == hex.EncodeToString(sum[:]) {
		return static.NewLayer([]byte(emptyConfig), emptyConfigMediaType), nil
	}
	return nil, fmt.Errorf("SBOM artifact has no blob %s", h)
}

// Push writes doc to repo as an artifact referring to subject, and returns
// its digest. Registries without the referrers API get the fallback tag
// ("sha256-<subject hex>") that go-containerregistry maintains.
func Push(ctx context.Context, repo name.Repository, doc []byte, subject v1.Descriptor, opts ...remote.Option) (name.Digest, error) {
	art, err := Artifact(doc, subject)
	if err != nil {
		return name.Digest{}, err
	}
	d, err := art.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	ref := repo.Digest(d.String())
	if err := remote.Write(ref, art, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing SBOM to %q: %w", ref, err)
	}
	return ref, nil
}

// WriteLayout appends doc to the OCI image layout at p as an artifact
// referring to subject (an image or index in the layout), and returns its
// digest.
func WriteLayout(p layout.Path, doc []byte, subject v1.Descriptor) (v1.Hash, error) {
	art, err := Artifact(doc, subject)
	if err != nil {
		return v1.Hash{}, err
	}
	d, err := art.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendImage(art, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "sbom-" + subject.Digest.Hex[:12]})); err != nil {
		return v1.Hash{}, fmt.Errorf("writing SBOM to layout %q: %w", string(p), err)
	}
	return d, nil
}

// WriteFile writes doc as dir/sbom.spdx.json.
func WriteFile(dir string, doc []byte) (string, error) {
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		return "", fmt.Errorf("writing SBOM: %w", err)
	}
	return p, nil
}

// FromArtifact returns the SPDX document an artifact from Artifact holds.
func FromArtifact(art v1.Image) ([]byte, error) {
	m, err := art.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading SBOM artifact: %w", err)
	}
	if m.ArtifactType != MediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != MediaType {
		return nil, fmt.Errorf("reading SBOM artifact: not an %s artifact", MediaType)
	}
	l, err := art.LayerByDigest(m.Layers[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("reading SBOM artifact: %w", err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("reading SBOM artifact: %w", err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil {
		return nil, fmt.Errorf("reading SBOM artifact: %w", err)
	}
	return buf.Bytes(), nil
}
