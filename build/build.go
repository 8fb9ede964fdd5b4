package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// FullRecipe is the recipe name of an unpruned SDK (Options.Recipe nil).
const FullRecipe = "full"

// Options are the inputs of Build.
type Options struct {
	// SDKs holds one SDK per platform to build, in index order.
	SDKs []*sdk.SDK
	// Recipe prunes each SDK; nil lays the whole SDK unchanged ("full").
	Recipe *recipes.Recipe
	// Base is the base image; nil or imageref.Scratch for none.
	Base *imageref.Ref
	// GOROOT is the SDK's path in the image (DefaultGOROOT when empty).
	GOROOT string
	// Compression is the layer compression (layers.Gzip when empty).
	Compression layers.Compression
	// LayerPlan splits the GOROOT into layers (DefaultLayerPlan when nil).
	LayerPlan LayerPlan
	// MTime is every entry's modification time and the image's created
	// time. Zero means each SDK's release time from VERSION.
	MTime time.Time
	// Source is the optional org.opencontainers.image.source label.
	Source string
	// CacheDir holds finished layers between runs (a directory of its own,
	// such as $GOROOTIMG_CACHE/build). Empty means no cache: layers live
	// in a temporary directory until Result.Close.
	CacheDir string
	// Jobs is how many layers are written at once (GOMAXPROCS when 0).
	// Each gzip layer also compresses its blocks in parallel.
	Jobs int
	// Progress, when set, is told about each layer as it is written.
	Progress func(Event)
}

// Event reports progress on one layer.
type Event struct {
	// Platform is "linux/amd64"; Layer is the group ("toolchain"), with a
	// "full:" prefix for layers written only for the size report.
	Platform, Layer string
	// Total is the layer's content size in bytes and Done how much of it
	// has been written so far.
	Done, Total int64
	// Finished is true on the layer's last event; Cached when it came from
	// the cache without being written.
	Finished, Cached bool
}

// Result is what Build made. Close it when the outputs are written.
type Result struct {
	// Index lists one image per platform, in the order of Options.SDKs.
	Index v1.ImageIndex
	// Images are the per-platform images.
	Images []PlatformImage
	// Report compares each image's GOROOT with the full SDK's.
	Report *Report
	// Reused is true when every layer came from the cache.
	Reused bool

	cleanup func() error
}

// PlatformImage is one platform's image.
type PlatformImage struct {
	Platform v1.Platform
	Image    v1.Image
}

// Close removes temporary files (layers written without a cache).
func (r *Result) Close() error {
	if r == nil || r.cleanup == nil {
		return nil
	}
	err := r.cleanup()
	r.cleanup = nil
	return err
}

// Build makes one image per SDK: the base image for its platform, the
// SDK pruned by the recipe as a few layers at the GOROOT path, and the
// config of Config. It also writes (or finds in the cache) the full SDK's
// layers to report what the recipe saved. Nothing is written to outputs;
// see WriteLayout, WriteTarball and Push.
func Build(ctx context.Context, o Options) (_ *Result, err error) {
	if len(o.SDKs) == 0 {
		return nil, errors.New("building image: no SDK given")
	}
	if o.Compression == "" {
		o.Compression = layers.Gzip
	}
	if _, err := layers.ParseCompression(string(o.Compression)); err != nil {
		return nil, err
	}
	if o.LayerPlan == nil {
		o.LayerPlan, _ = ParseLayerPlan(DefaultLayerPlan)
	}
	if o.GOROOT == "" {
		o.GOROOT = DefaultGOROOT
	}
	if err := checkGOROOT(o.GOROOT); err != nil {
		return nil, err
	}
	if o.Base == nil {
		o.Base = imageref.Scratch
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	// Everything that can fail cheaply is checked before any layer is written.
	bases := make([]v1.Image, len(o.SDKs))
	seen := map[string]bool{}
	for i, s := range o.SDKs {
		p := s.Platform().String()
		if seen[p] {
			return nil, fmt.Errorf("building image: two SDKs for %s", p)
		}
		seen[p] = true
		if o.MTime.IsZero() && s.Time.IsZero() {
			return nil, fmt.Errorf("building image: %s has no release time in VERSION; set SOURCE_DATE_EPOCH", s.Dir)
		}
		if !o.Base.IsScratch() {
			img, err := o.Base.Image(v1.Platform{OS: s.GOOS, Architecture: s.GOARCH})
			if err != nil {
				return nil, fmt.Errorf("choosing base image: %w", err)
			}
			bases[i] = img
		}
	}

	res := &Result{}
	dirs, cleanup, err := newStore(o.CacheDir)
	if err != nil {
		return nil, err
	}
	res.cleanup = cleanup
	defer func() {
		if err != nil {
			res.Close()
		}
	}()

	plats, err := buildLayers(ctx, o, dirs)
	if err != nil {
		return nil, err
	}
	res.Reused = true
	res.Report = &Report{Recipe: recipeName(o.Recipe), Compression: string(o.Compression), LayerPlan: o.LayerPlan.String()}
	for i, pl := range plats {
		res.Reused = res.Reused && pl.reused
		fsl, err := fsLayer(ctx, bases[i], dirs, o, pl)
		if err != nil {
			return nil, err
		}
		img, err := assemble(bases[i], o.Base, pl, o, fsl)
		if err != nil {
			return nil, err
		}
		res.Images = append(res.Images, PlatformImage{Platform: pl.platform, Image: img})
		res.Report.Platforms = append(res.Report.Platforms, pl.report())
	}
	res.Index, err = index(res.Images)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func checkGOROOT(p string) error {
	if !path.IsAbs(p) || path.Clean(p) == "/" || strings.Contains(p, "/.wh.") {
		return fmt.Errorf("GOROOT path %q: want an absolute directory below /, such as /usr/local/go", p)
	}
	return nil
}

func recipeName(r *recipes.Recipe) string {
	if r == nil {
		return FullRecipe
	}
	return r.Name
}

func recipeDigest(r *recipes.Recipe) string {
	if r == nil {
		return ""
	}
	return r.Digest()
}

// platformLayers is one platform's finished GOROOT layers.
type platformLayers struct {
	sdk      *sdk.SDK
	platform v1.Platform
	mtime    time.Time
	reset    *namedLayer   // the opaque whiteout for a non-scratch base
	layers   []*namedLayer // the recipe's GOROOT layers
	full     []*namedLayer // the full SDK's, for the report
	reused   bool
}

type namedLayer struct {
	Group  string        `json:"group"`
	Layer  *layers.Layer `json:"layer"`
	Cached bool          `json:"-"`
}

// buildLayers writes (or finds) every platform's layers, writing up to
// o.Jobs layers at once across platforms.
func buildLayers(ctx context.Context, o Options, st *store) ([]*platformLayers, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		out  []*platformLayers
		jobs []*layerJob
	)
	for _, s := range o.SDKs {
		pl := &platformLayers{sdk: s, platform: v1.Platform{OS: s.GOOS, Architecture: s.GOARCH}, mtime: o.MTime}
		if pl.mtime.IsZero() {
			pl.mtime = s.Time
		}
		pl.mtime = pl.mtime.UTC().Truncate(time.Second)
		out = append(out, pl)
		js, err := planPlatform(ctx, o, st, pl)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	// Largest first keeps both cores busy to the end.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].total > jobs[j].total })
	sem := make(chan struct{}, o.Jobs)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			if err := j.run(ctx, o, st); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, pl := range out {
		if !pl.reused {
			if err := st.putPlatform(pl, o); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// planPlatform fills pl from the cache when it can; otherwise it resolves
// the recipe, splits the files into groups and returns the layers to write.
func planPlatform(ctx context.Context, o Options, st *store, pl *platformLayers) ([]*layerJob, error) {
	if ok, err := st.getPlatform(pl, o); err != nil {
		return nil, err
	} else if ok {
		pl.reused = true
		report(o, pl)
		return nil, nil
	}
	var all, kept prune.FileSet
	if o.Recipe == nil {
		var err error
		if all, err = prune.Scan(pl.sdk.Dir); err != nil {
			return nil, err
		}
		kept = all
	} else {
		plan, err := prune.Resolve(ctx, prune.Target{GOROOT: pl.sdk.Dir, Version: pl.sdk.Version, GOOS: pl.sdk.GOOS, GOARCH: pl.sdk.GOARCH}, o.Recipe)
		if err != nil {
			return nil, fmt.Errorf("applying recipe %q to %s: %w", o.Recipe.Name, pl.sdk.Dir, err)
		}
		all = plan.All // the complete scan: the full SDK of the report
		work, err := st.workDir("apply-")
		if err != nil {
			return nil, err
		}
		if kept, err = prune.Apply(ctx, plan, work); err != nil {
			return nil, fmt.Errorf("applying recipe %q to %s: %w", o.Recipe.Name, pl.sdk.Dir, err)
		}
	}
	var jobs []*layerJob
	byKey := map[string]*layerJob{}
	add := func(g groupEntries, dst **namedLayer, full bool) error {
		key, err := st.layerKey(pl, o, g)
		if err != nil {
			return err
		}
		j := byKey[key]
		if j == nil {
			j = &layerJob{key: key, group: g, platform: pl.platform.OS + "/" + pl.platform.Architecture, mtime: pl.mtime}
			if full {
				j.label = "full:" + g.name
			} else {
				j.label = g.name
			}
			for _, e := range g.entries {
				j.total += e.Size
			}
			byKey[key] = j
			jobs = append(jobs, j)
		}
		j.dsts = append(j.dsts, dst)
		return nil
	}
	if !o.Base.IsScratch() {
		if err := add(resetGroup(o.GOROOT), &pl.reset, false); err != nil {
			return nil, err
		}
	}
	groups := o.LayerPlan.split(kept, o.GOROOT)
	pl.layers = make([]*namedLayer, len(groups))
	for i, g := range groups {
		if err := add(g, &pl.layers[i], false); err != nil {
			return nil, err
		}
	}
	fullGroups := o.LayerPlan.split(all, o.GOROOT)
	pl.full = make([]*namedLayer, len(fullGroups))
	for i, g := range fullGroups {
		if err := add(g, &pl.full[i], true); err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// report tells Progress about a platform whose layers all came from the cache.
func report(o Options, pl *platformLayers) {
	if o.Progress == nil {
		return
	}
	for _, l := range pl.layers {
		o.Progress(Event{Platform: pl.platform.OS + "/" + pl.platform.Architecture, Layer: l.Group,
			Done: l.Layer.UncompressedSize, Total: l.Layer.UncompressedSize, Finished: true, Cached: true})
	}
}

// layerJob writes one layer (or finds it in the cache) and hands it to
// every platform slot that wants it.
type layerJob struct {
	key      string
	group    groupEntries
	label    string
	platform string
	mtime    time.Time
	total    int64
	dsts     []**namedLayer
}

func (j *layerJob) run(ctx context.Context, o Options, st *store) error {
	l, err := st.getLayer(j.key)
	if err != nil {
		return err
	}
	cached := l != nil
	if l == nil {
		opts := []layers.Option{layers.WithCompression(o.Compression), layers.WithMTime(j.mtime), layers.WithSync(st.persistent)}
		if o.Progress != nil {
			opts = append(opts, layers.WithProgress(func(n int64) {
				o.Progress(Event{Platform: j.platform, Layer: j.label, Done: n, Total: j.total})
			}))
		}
		tmp := filepath.Join(st.tmp, "layer-"+j.key[:16])
		l, err = layers.Write(ctx, tmp, j.group.entries, opts...)
		if err != nil {
			return fmt.Errorf("writing %s layer for %s: %w", j.group.name, j.platform, err)
		}
		if err := st.putLayer(j.key, l); err != nil {
			return err
		}
	}
	if o.Progress != nil {
		o.Progress(Event{Platform: j.platform, Layer: j.label, Done: j.total, Total: j.total, Finished: true, Cached: cached})
	}
	for _, d := range j.dsts {
		*d = &namedLayer{Group: j.group.name, Layer: l, Cached: cached}
	}
	return nil
}

// tempDir makes a directory for layers written without a cache.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "gorootimg-build-")
	if err != nil {
		return "", fmt.Errorf("creating work directory: %w", err)
	}
	return d, nil
}
