package assemble

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/layerstore"
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
	// Path is how the cache was built: "host" (the host's toolchain of
	// the release, no privileges) or "sandbox" (the image's own go
	// command in a chroot), warmcache.PathHost and PathSandbox.
	Path string `json:"path"`
	// Notes say what was not built and why.
	Notes []string    `json:"notes,omitempty"`
	Layer LayerReport `json:"layer"`
}

// warmRecord is stored beside the layer's record so that a cached warm
// layer still reports how it was made.
type warmRecord struct {
	Path       string   `json:"path"`
	CGOEnabled bool     `json:"cgoEnabled"`
	CC         string   `json:"cc"`
	Notes      []string `json:"notes,omitempty"`
}

// warmLayer writes (or finds in the cache) the warm build cache of img,
// the platform's image without it: warmcache.WarmImage unpacks img into a
// work directory and runs its own go command there to build o.WarmCache.
// The key is the diffIDs of img's layers, its Env, the list, the layer
// settings and whether the host path is offered, so an unchanged rebuild
// reuses the layer. A failing step
// stores nothing.
func warmLayer(ctx context.Context, img v1.Image, st *store, o Options, pl *platformLayers) (*namedLayer, *WarmReport, error) {
	plat := imageref.FormatPlatform(pl.platform)
	key, err := warmKey(img, o, pl)
	if err != nil {
		return nil, nil, err
	}
	rep := &WarmReport{List: warmList(o)}
	if nl, err := cachedWarm(st, key, rep); err != nil || nl != nil {
		if nl != nil {
			l := nl.Layer
			o.progress(Event{Platform: plat, Layer: warmGroup, Done: l.UncompressedSize, Total: l.UncompressedSize, Finished: true, Cached: true})
		}
		return nl, rep, err
	}
	dir, err := st.WorkDir("warm-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	o.logf("%s: warming the build cache (%s)", plat, strings.Join(rep.List, ","))
	wopts := []warmcache.Option{warmcache.WithLog(logWriter{o, plat})}
	if o.HostSDK != nil {
		wopts = append(wopts, warmcache.WithHostGOROOT(func(ctx context.Context, version string) (string, error) {
			s, err := o.HostSDK(ctx, version)
			if err != nil {
				return "", err
			}
			return s.Dir, nil
		}))
	}
	res, err := warmcache.WarmImage(ctx, img, pl.platform, pl.mtime, dir, o.WarmCache, wopts...)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range res.Notes {
		o.logf("%s: warm cache: %s", plat, n)
	}
	o.logf("%s: warm cache built on the %s path", plat, res.Path)
	rec := warmRecord{Path: res.Path, CGOEnabled: res.CGOEnabled == "1", CC: res.CC, Notes: res.Notes}
	// The record goes first: a layer found in the cache has its record.
	if err := st.PutRecord(layerstore.Layers, key+".warm", rec); err != nil {
		return nil, nil, err
	}
	j := &layerJob{key: key, group: layers.Group{Name: warmGroup, Entries: res.Entries}, label: warmGroup, platform: plat, mtime: pl.mtime}
	for _, e := range res.Entries {
		j.total += e.Size
	}
	if err := j.run(ctx, o, st); err != nil {
		return nil, nil, err
	}
	rep.Path, rep.CGOEnabled, rep.CC, rep.Notes = rec.Path, rec.CGOEnabled, rec.CC, rec.Notes
	rep.Layer = layerReport(j.done)
	return j.done, rep, nil
}

// warmList is o.WarmCache as strings.
func warmList(o Options) []string {
	list := make([]string, len(o.WarmCache))
	for i, v := range o.WarmCache {
		list[i] = string(v)
	}
	return list
}

// warmKey is the content key of img's warm layer.
func warmKey(img v1.Image, o Options, pl *platformLayers) (string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("reading image config: %w", err)
	}
	lines := []string{cacheVersion, "layer " + warmGroup, "platform " + imageref.FormatPlatform(pl.platform),
		"compression " + o.compressionSettings(), fmt.Sprintf("mtime %d", pl.mtime.Unix())}
	for _, d := range cf.RootFS.DiffIDs {
		lines = append(lines, "diffid "+d.String())
	}
	for _, e := range cf.Config.Env {
		lines = append(lines, "env "+e)
	}
	lines = append(lines, "list "+strings.Join(warmList(o), ","))
	// The path is part of the content: the host path leaves out the
	// package-index entries the sandbox path keeps (docs/warm-cache.md),
	// and which path runs follows from the image (above) and from whether
	// the host's toolchain is offered at all.
	lines = append(lines, fmt.Sprintf("host path offered %v", o.HostSDK != nil))
	return layerstore.HashLines(lines...), nil
}

// cachedWarm returns the warm layer recorded under key with its record
// filled into rep, or nil when either is missing.
func cachedWarm(st *store, key string, rep *WarmReport) (*namedLayer, error) {
	l, err := st.getLayer(key, false)
	if err != nil || l == nil {
		return nil, err
	}
	var rec warmRecord
	if ok, err := st.GetRecord(layerstore.Layers, key+".warm", &rec); !ok || err != nil {
		return nil, err
	}
	if rec.Path == "" { // recorded before the host path existed
		rec.Path = warmcache.PathSandbox
	}
	rep.Path, rep.CGOEnabled, rep.CC, rep.Notes = rec.Path, rec.CGOEnabled, rec.CC, rec.Notes
	nl := &namedLayer{Group: warmGroup, Layer: l, Cached: true}
	rep.Layer = layerReport(nl)
	return nl, nil
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
