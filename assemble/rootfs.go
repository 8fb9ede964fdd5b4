package assemble

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/layerstore"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/rootfs"
)

// rootfsGroup is the layer group of the file system layer (rootfs).
const rootfsGroup = "rootfs"

// fsLayer writes (or finds in the cache) the layer that gives a platform's
// image the file system a Go build needs on top of its base (nil for
// scratch); nil when the base already has it all. assemble puts it right
// above the base's layers and applies rootfs.Configure to the config.
func fsLayer(ctx context.Context, base v1.Image, st *store, o Options, pl *platformLayers) (*namedLayer, error) {
	bundle, err := rootfs.CABundle()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bundle.PEM)
	baseID := "scratch"
	if base != nil {
		d, err := base.Digest()
		if err != nil {
			return nil, fmt.Errorf("reading base image digest: %w", err)
		}
		baseID = d.String()
	}
	// The layer is a function of the base's files, rootfs's rules and the
	// CA bundle: the base's digest names the first.
	key := layerstore.HashLines(cacheVersion, "layer "+rootfsGroup, "rootfs "+rootfs.Version, "base "+baseID,
		"ca "+hex.EncodeToString(sum[:]), "compression "+o.compressionSettings(), fmt.Sprintf("mtime %d", pl.mtime.Unix()))
	// Its files' digests are always taken (a few files): the SBOM lists them.
	l, err := st.getLayer(key, true)
	if err != nil {
		return nil, err
	}
	if l != nil {
		return &namedLayer{Group: rootfsGroup, Layer: l, Cached: true}, nil
	}
	dir, err := st.WorkDir("rootfs-")
	if err != nil {
		return nil, err
	}
	l, err = rootfs.Write(ctx, base, dir, append(o.compression(), layers.WithMTime(pl.mtime), layers.WithSync(st.Persistent()), layers.WithFileDigests(true))...)
	if err != nil || l == nil {
		return nil, err
	}
	if err := st.putLayer(key, l); err != nil {
		return nil, err
	}
	return &namedLayer{Group: rootfsGroup, Layer: l}, nil
}
