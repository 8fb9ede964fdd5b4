package sbom

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// MediaType is the media type of an SPDX JSON document, used as the
// artifact type and the layer media type of the artifact manifest that
// publishers attach to an image (see package publish).
const MediaType = "application/spdx+json"

// FileName is the name of the document written next to a prepared tree.
const FileName = "sbom.spdx.json"

// WriteFile writes doc as dir/sbom.spdx.json.
func WriteFile(dir string, doc []byte) (string, error) {
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, doc, 0o644); err != nil {
		return "", fmt.Errorf("writing SBOM: %w", err)
	}
	return p, nil
}

// FromArtifact returns the SPDX document an SBOM artifact (an OCI 1.1
// artifact manifest of artifactType MediaType) holds.
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
