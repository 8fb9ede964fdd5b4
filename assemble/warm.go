package assemble

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/hostrun"
	"github.com/gorootimg/gorootimg/internal/layerstore"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/warmcache"
)

// warmGroup is the layer group of the warm build cache (warmcache).
const warmGroup = "warm-cache"

// WarmReport is what the warm-cache step of a platform made.
type WarmReport struct {
	// List is the variants built ("std", "race", "tools").
	List []string `json:"list"`
	// CGOEnabled and CC are what the image's go command reported: cgo is
	// on only where the image has its C compiler.
	CGOEnabled bool   `json:"cgoEnabled"`
	CC         string `json:"cc"`
	// Notes say what was not built and why.
	Notes []string    `json:"notes,omitempty"`
	Layer LayerReport `json:"layer"`
}

// warmRecord is stored beside the layer's record so that a cached warm
// layer still reports how it was made.
type warmRecord struct {
	CGOEnabled bool     `json:"cgoEnabled"`
	CC         string   `json:"cc"`
	Notes      []string `json:"notes,omitempty"`
}

// warmLayer writes (or finds in the cache) the warm build cache of img,
// the platform's image without it: img is unpacked into a work directory
// and its own go command builds o.WarmCache there (warmcache.Warm). The
// key is the diffIDs of img's layers, its Env, the list and the layer
// settings, so an unchanged rebuild reuses the layer. A failing step
// stores nothing.
func warmLayer(ctx context.Context, img v1.Image, st *store, o Options, pl *platformLayers) (*namedLayer, *WarmReport, error) {
	plat := pl.platform.OS + "/" + pl.platform.Architecture
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("reading image config: %w", err)
	}
	lines := []string{cacheVersion, "layer " + warmGroup, "platform " + plat,
		"compression " + o.compressionSettings(), fmt.Sprintf("mtime %d", pl.mtime.Unix())}
	for _, d := range cf.RootFS.DiffIDs {
		lines = append(lines, "diffid "+d.String())
	}
	for _, e := range cf.Config.Env {
		lines = append(lines, "env "+e)
	}
	list := make([]string, len(o.WarmCache))
	for i, v := range o.WarmCache {
		list[i] = string(v)
	}
	lines = append(lines, "list "+strings.Join(list, ","))
	key := layerstore.HashLines(lines...)
	rep := &WarmReport{List: list}

	l, err := st.getLayer(key, false)
	if err != nil {
		return nil, nil, err
	}
	var rec warmRecord
	if l != nil {
		if ok, err := st.GetRecord(layerstore.Layers, key+".warm", &rec); err != nil {
			return nil, nil, err
		} else if ok {
			rep.CGOEnabled, rep.CC, rep.Notes = rec.CGOEnabled, rec.CC, rec.Notes
			nl := &namedLayer{Group: warmGroup, Layer: l, Cached: true}
			rep.Layer = layerReport(nl)
			o.progress(Event{Platform: plat, Layer: warmGroup, Done: l.UncompressedSize, Total: l.UncompressedSize, Finished: true, Cached: true})
			return nl, rep, nil
		}
	}
	if err := checkWarmHost(pl.platform); err != nil {
		return nil, nil, err
	}
	dir, err := st.WorkDir("warm-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, nil, err
	}
	if err := sandbox.ExtractImage(ctx, img, root); err != nil {
		return nil, nil, fmt.Errorf("warming the build cache for %s: unpacking the image: %w", plat, err)
	}
	o.logf("%s: warming the build cache (%s) in the image's file system", plat, strings.Join(list, ","))
	res, err := warmcache.Warm(ctx, warmcache.Image{Root: root, Env: cf.Config.Env, Time: pl.mtime}, o.WarmCache, warmcache.WithLog(logWriter{o, plat}))
	if err != nil {
		return nil, nil, fmt.Errorf("warming the build cache for %s: %w", plat, err)
	}
	for _, n := range res.Notes {
		o.logf("%s: warm cache: %s", plat, n)
	}
	rec = warmRecord{CGOEnabled: res.CGOEnabled == "1", CC: res.CC, Notes: res.Notes}
	opts := append(o.compression(), layers.WithMTime(pl.mtime), layers.WithSync(st.Persistent()))
	if o.Progress != nil {
		var total int64
		for _, e := range res.Entries {
			total += e.Size
		}
		opts = append(opts, layers.WithProgress(func(n int64) {
			o.Progress(Event{Platform: plat, Layer: warmGroup, Done: n, Total: total})
		}))
	}
	tmp, err := st.TempPath(key)
	if err != nil {
		return nil, nil, err
	}
	l, err = layers.Write(ctx, tmp, res.Entries, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("writing %s layer for %s: %w", warmGroup, plat, err)
	}
	// The record goes first: a layer found in the cache has its record.
	if err := st.PutRecord(layerstore.Layers, key+".warm", rec); err != nil {
		return nil, nil, err
	}
	if err := st.putLayer(key, l); err != nil {
		return nil, nil, err
	}
	o.progress(Event{Platform: plat, Layer: warmGroup, Done: l.UncompressedSize, Total: l.UncompressedSize, Finished: true})
	rep.CGOEnabled, rep.CC, rep.Notes = rec.CGOEnabled, rec.CC, rec.Notes
	nl := &namedLayer{Group: warmGroup, Layer: l}
	rep.Layer = layerReport(nl)
	return nl, rep, nil
}

// checkWarmHost says why this host cannot run the image's go command for
// platform, or nil: the sandbox needs root, and a foreign architecture a
// binfmt_misc handler (such as qemu-user's) with the F flag, whose
// interpreter runs inside the image's chroot.
func checkWarmHost(p v1.Platform) error {
	plat := p.OS + "/" + p.Architecture
	if os.Geteuid() != 0 {
		return fmt.Errorf("--warm-cache for %s: building the cache runs the image's go command in a chroot sandbox, which needs root; run as root or build without --warm-cache", plat)
	}
	if p.OS != "linux" {
		return fmt.Errorf("--warm-cache for %s: only linux images can be warmed", plat)
	}
	h, err := hostrun.Check(p.OS, p.Architecture)
	if err != nil {
		return fmt.Errorf("--warm-cache for %s: %w (or build the cache on a %s machine)", plat, err, p.Architecture)
	}
	if h != nil && !h.Fixed() {
		return fmt.Errorf("--warm-cache for %s: %s lacks the F flag, so its interpreter cannot run inside the image's chroot: register it with F (docs/diff-verify.md)", plat, h)
	}
	return nil
}

func layerReport(nl *namedLayer) LayerReport {
	return LayerReport{Group: nl.Group, Digest: nl.Layer.Digest.String(), Cached: nl.Cached,
		Sizes: Sizes{Files: nl.Layer.Files, Uncompressed: nl.Layer.UncompressedSize, Compressed: nl.Layer.Size}}
}

func (o Options) progress(e Event) {
	if o.Progress != nil {
		o.Progress(e)
	}
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// logWriter passes Warm's log lines to Options.Logf.
type logWriter struct {
	o    Options
	plat string
}

var _ io.Writer = logWriter{}

func (w logWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if l != "" {
			w.o.logf("%s: %s", w.plat, l)
		}
	}
	return len(p), nil
}
