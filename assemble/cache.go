package assemble

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/layerstore"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

// cacheVersion is part of every cache key. Bump it whenever the layer
// writer or the layer plan changes what bytes a layer holds.
const cacheVersion = "gorootimg build cache 3"

// store is assemble's view of the layer store (internal/layerstore):
// layers and platforms under the content keys made here, and the SDK
// identities those keys name, computed once per run.
type store struct {
	*layerstore.Store

	mu   sync.Mutex
	sdks map[string]string // SDK dir -> identity
}

func newStore(cacheDir string) (*store, error) {
	ls, err := layerstore.Open(cacheDir)
	if err != nil {
		return nil, err
	}
	return &store{Store: ls, sdks: map[string]string{}}, nil
}

// putLayer moves a freshly written layer to its blob path and records it
// under key.
func (st *store) putLayer(key string, l *layers.Layer) error {
	dst, err := st.PutBlob(l.Path, l.Digest)
	if err != nil {
		return err
	}
	l.Path = dst
	return st.PutRecord(layerstore.Layers, key, l)
}

// getLayer returns the layer recorded under key, or nil when there is none,
// its blob is gone, or digests are wanted and it was written without them.
func (st *store) getLayer(key string, digests bool) (*layers.Layer, error) {
	var l layers.Layer
	if ok, err := st.GetRecord(layerstore.Layers, key, &l); !ok || err != nil {
		return nil, err
	}
	if digests && !l.HasDigests {
		return nil, nil // written without its files' digests: write it again
	}
	l.Path = st.BlobPath(l.Digest)
	if l.Check() != nil {
		return nil, nil
	}
	return &l, nil
}

// platformRecord is a platform's finished layers, recorded so that an
// unchanged rebuild needs neither the recipe nor the layer writer.
type platformRecord struct {
	Reset  *namedLayer   `json:"reset,omitempty"`
	Layers []*namedLayer `json:"layers"`
	Full   []*namedLayer `json:"full"`
}

func (st *store) putPlatform(pl *platformLayers, o Options) error {
	if !st.Persistent() {
		return nil
	}
	key, err := st.platformKey(pl, o)
	if err != nil {
		return err
	}
	return st.PutRecord(layerstore.Platforms, key, platformRecord{Reset: pl.reset, Layers: pl.layers, Full: pl.full})
}

func (st *store) getPlatform(pl *platformLayers, o Options) (bool, error) {
	if !st.Persistent() {
		return false, nil
	}
	key, err := st.platformKey(pl, o)
	if err != nil {
		return false, err
	}
	var rec platformRecord
	if ok, err := st.GetRecord(layerstore.Platforms, key, &rec); !ok || err != nil {
		return false, err
	}
	all := append(append([]*namedLayer{}, rec.Layers...), rec.Full...)
	if rec.Reset != nil {
		all = append(all, rec.Reset)
	}
	if len(rec.Layers) == 0 || (rec.Reset == nil) != o.Base.IsScratch() {
		return false, nil
	}
	for _, nl := range rec.Layers {
		if o.SBOM && (nl == nil || nl.Layer == nil || !nl.Layer.HasDigests) {
			return false, nil
		}
	}
	for _, nl := range all {
		if nl == nil || nl.Layer == nil {
			return false, nil
		}
		nl.Layer.Path = st.BlobPath(nl.Layer.Digest)
		if nl.Layer.Check() != nil {
			return false, nil
		}
		nl.Cached = true
	}
	pl.reset, pl.layers, pl.full = rec.Reset, rec.Layers, rec.Full
	return true, nil
}

// platformKey identifies a platform's inputs: the SDK, the recipe and
// every option that changes the layers' bytes.
func (st *store) platformKey(pl *platformLayers, o Options) (string, error) {
	id, err := st.sdkID(pl.sdk)
	if err != nil {
		return "", err
	}
	lines := []string{cacheVersion, "platform", id,
		"recipe " + recipeName(o.Recipe), "recipe-digest " + recipeDigest(o.Recipe),
		"plan " + o.LayerPlan.String(), "goroot " + o.GOROOT,
		"compression " + o.compressionSettings(),
		fmt.Sprintf("mtime %d", pl.mtime.Unix()),
		fmt.Sprintf("scratch %v", o.Base.IsScratch())}
	if isWindows(pl.platform) {
		lines = append(lines, windowsForm)
	}
	return layerstore.HashLines(lines...), nil
}

// layerKey identifies a layer by its entries and settings. Content from
// an SDK is named by the SDK's identity and the file's path in it; other
// content (such as a stripped binary) by the file's size, time and inode.
func (st *store) layerKey(pl *platformLayers, o Options, g layers.Group) (string, error) {
	id, err := st.sdkID(pl.sdk)
	if err != nil {
		return "", err
	}
	lines := []string{cacheVersion, "layer " + g.Name, "compression " + o.compressionSettings(),
		fmt.Sprintf("mtime %d", pl.mtime.Unix())}
	if isWindows(pl.platform) {
		lines = append(lines, windowsForm)
	}
	sdkDir := filepath.Clean(pl.sdk.Dir) + string(filepath.Separator)
	for _, e := range g.Entries {
		src := ""
		switch {
		case e.Src == "":
		case strings.HasPrefix(e.Src, sdkDir):
			src = id + " " + strings.TrimPrefix(e.Src, sdkDir)
		default:
			fi, err := os.Stat(e.Src)
			if err != nil {
				return "", fmt.Errorf("reading %s: %w", e.Src, err)
			}
			src = layerstore.StatID(fi)
		}
		lines = append(lines, fmt.Sprintf("%s %o %d %q %s", e.Name, e.Mode, e.Size, e.Link, src))
	}
	return layerstore.HashLines(lines...), nil
}

// sdkID identifies an SDK's content: its module or archive hash when it
// has one, otherwise a fingerprint of every file's path, size, mode,
// modification time and inode.
func (st *store) sdkID(s *sdk.SDK) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if id, ok := st.sdks[s.Dir]; ok {
		return id, nil
	}
	id := fmt.Sprintf("sdk %s %s %s", s.Version, imageref.FormatPlatform(s.Platform()), s.Dir)
	switch {
	case !st.Persistent():
		// Keys only tell layers apart within this run: the path will do.
	case s.Hash != "":
		id += " hash " + s.Hash
	default:
		tree, err := layerstore.TreeID(s.Dir)
		if err != nil {
			return "", err
		}
		id += " tree " + tree
	}
	st.sdks[s.Dir] = id
	return id, nil
}
