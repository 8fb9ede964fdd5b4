package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/internal/stale"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

// cacheVersion is part of every cache key. Bump it whenever the layer
// writer or the layer plan changes what bytes a layer holds.
const cacheVersion = "gorootimg build cache 3"

// store keeps finished layers: in the cache directory when there is one
// (blobs/sha256/HEX, layers/KEY.json, platforms/KEY.json), otherwise in a
// temporary directory that Result.Close removes.
type store struct {
	dir        string
	tmp        string // temporary files, on the same file system as dir
	persistent bool

	mu   sync.Mutex
	sdks map[string]string // SDK dir -> identity
}

func newStore(cacheDir string) (*store, func() error, error) {
	st := &store{dir: cacheDir, persistent: cacheDir != "", sdks: map[string]string{}}
	if !st.persistent {
		d, err := tempDir()
		if err != nil {
			return nil, nil, err
		}
		st.dir, st.tmp = d, d
		return st, func() error { return os.RemoveAll(d) }, nil
	}
	for _, sub := range []string{"blobs/sha256", "layers", "platforms", "tmp"} {
		if err := os.MkdirAll(filepath.Join(cacheDir, sub), 0o755); err != nil {
			return nil, nil, fmt.Errorf("creating build cache: %w", err)
		}
	}
	stale.Remove(filepath.Join(cacheDir, "tmp"), "run-", staleAfter, nil)
	tmp, err := os.MkdirTemp(filepath.Join(cacheDir, "tmp"), "run-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating build cache: %w", err)
	}
	st.tmp = tmp
	return st, func() error { return os.RemoveAll(tmp) }, nil
}

// staleAfter is how old a run's temporary directory must be before a later
// run removes it: a run that old was killed (a live one is far younger).
const staleAfter = 24 * time.Hour

func (st *store) workDir(prefix string) (string, error) {
	d, err := os.MkdirTemp(st.tmp, prefix)
	if err != nil {
		return "", fmt.Errorf("creating work directory: %w", err)
	}
	return d, nil
}

// layerPath returns a new path for a layer being written under key. Two
// platforms can write a layer of the same key at once (the reset layer of
// a multi-platform build on a base): each gets its own path, or one's
// putLayer would move the other's file away.
func (st *store) layerPath(key string) (string, error) {
	d, err := st.workDir("layer-" + key[:16] + "-")
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "layer"), nil
}

func (st *store) blobPath(l *layers.Layer) string {
	return filepath.Join(st.dir, "blobs", l.Digest.Algorithm, l.Digest.Hex)
}

// putLayer moves a freshly written layer to its blob path and records it
// under key.
func (st *store) putLayer(key string, l *layers.Layer) error {
	dst := st.blobPath(l)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("storing layer: %w", err)
	}
	if err := os.Rename(l.Path, dst); err != nil {
		return fmt.Errorf("storing layer: %w", err)
	}
	l.Path = dst
	if !st.persistent {
		return nil
	}
	return st.putJSON(filepath.Join(st.dir, "layers", key+".json"), l)
}

// getLayer returns the layer recorded under key, or nil when there is none,
// its blob is gone, or digests are wanted and it was written without them.
func (st *store) getLayer(key string, digests bool) (*layers.Layer, error) {
	if !st.persistent {
		return nil, nil
	}
	var l layers.Layer
	if ok, err := st.getJSON(filepath.Join(st.dir, "layers", key+".json"), &l); !ok || err != nil {
		return nil, err
	}
	if digests && !l.HasDigests {
		return nil, nil // written without its files' digests: write it again
	}
	l.Path = st.blobPath(&l)
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
	if !st.persistent {
		return nil
	}
	key, err := st.platformKey(pl, o)
	if err != nil {
		return err
	}
	return st.putJSON(filepath.Join(st.dir, "platforms", key+".json"), platformRecord{Reset: pl.reset, Layers: pl.layers, Full: pl.full})
}

func (st *store) getPlatform(pl *platformLayers, o Options) (bool, error) {
	if !st.persistent {
		return false, nil
	}
	key, err := st.platformKey(pl, o)
	if err != nil {
		return false, err
	}
	var rec platformRecord
	if ok, err := st.getJSON(filepath.Join(st.dir, "platforms", key+".json"), &rec); !ok || err != nil {
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
		nl.Layer.Path = st.blobPath(nl.Layer)
		if nl.Layer.Check() != nil {
			return false, nil
		}
		nl.Cached = true
	}
	pl.reset, pl.layers, pl.full = rec.Reset, rec.Layers, rec.Full
	return true, nil
}

func (st *store) putJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing build cache: %w", err)
	}
	return nil
}

// getJSON reads a record; a missing or unreadable record is a miss.
func (st *store) getJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading build cache: %w", err)
	}
	if json.Unmarshal(b, v) != nil {
		return false, nil
	}
	return true, nil
}

// platformKey identifies a platform's inputs: the SDK, the recipe and
// every option that changes the layers' bytes.
func (st *store) platformKey(pl *platformLayers, o Options) (string, error) {
	id, err := st.sdkID(pl.sdk)
	if err != nil {
		return "", err
	}
	return hashLines(cacheVersion, "platform", id,
		"recipe "+recipeName(o.Recipe), "recipe-digest "+recipeDigest(o.Recipe),
		"plan "+o.LayerPlan.String(), "goroot "+o.GOROOT,
		"compression "+o.compressionSettings(),
		fmt.Sprintf("mtime %d", pl.mtime.Unix()),
		fmt.Sprintf("scratch %v", o.Base.IsScratch())), nil
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
			src = statID(fi)
		}
		lines = append(lines, fmt.Sprintf("%s %o %d %q %s", e.Name, e.Mode, e.Size, e.Link, src))
	}
	return hashLines(lines...), nil
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
	case !st.persistent:
		// Keys only tell layers apart within this run: the path will do.
	case s.Hash != "":
		id += " hash " + s.Hash
	default:
		h := sha256.New()
		err := filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %s\n", p, statID(fi))
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("fingerprinting %s: %w", s.Dir, err)
		}
		id += " tree " + hex.EncodeToString(h.Sum(nil))
	}
	st.sdks[s.Dir] = id
	return id, nil
}

func statID(fi fs.FileInfo) string {
	return fmt.Sprintf("%v %d %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), inode(fi))
}

func hashLines(lines ...string) string {
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
