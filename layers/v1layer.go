package layers

import (
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// compressed is a finished blob that already knows its digests; handing it
// to partial.CompressedToLayer means go-containerregistry never compresses
// or hashes it again.
type compressed struct{ l *Layer }

var _ partial.CompressedLayer = compressed{}

func (c compressed) Digest() (v1.Hash, error)            { return c.l.Digest, nil }
func (c compressed) DiffID() (v1.Hash, error)            { return c.l.DiffID, nil }
func (c compressed) Size() (int64, error)                { return c.l.Size, nil }
func (c compressed) MediaType() (types.MediaType, error) { return c.l.MediaType, nil }
func (c compressed) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(c.l.Path)
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", c.l.Digest, err)
	}
	return f, nil
}

// V1 returns the layer as a go-containerregistry v1.Layer. The value also
// has a BlobPath() string method naming the blob file, so writers of OCI
// layouts can link the file instead of copying it.
func (l *Layer) V1() (v1.Layer, error) {
	if l.Path == "" {
		return nil, fmt.Errorf("layer %s has no blob file", l.Digest)
	}
	cl, err := partial.CompressedToLayer(compressed{l})
	if err != nil {
		return nil, err
	}
	return fileLayer{Layer: cl, path: l.Path}, nil
}

// fileLayer is a v1.Layer whose compressed blob is a file on disk.
type fileLayer struct {
	v1.Layer
	path string
}

// BlobPath names the compressed blob's file.
func (f fileLayer) BlobPath() string { return f.path }

// Check confirms that the blob at l.Path still has l's size, so a cached
// layer whose file was removed or truncated is not used. It does not rehash.
func (l *Layer) Check() error {
	fi, err := os.Stat(l.Path)
	if err != nil {
		return fmt.Errorf("checking layer %s: %w", l.Digest, err)
	}
	if fi.Size() != l.Size {
		return fmt.Errorf("checking layer %s: %s has %d bytes, want %d", l.Digest, l.Path, fi.Size(), l.Size)
	}
	return nil
}
