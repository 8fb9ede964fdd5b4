package assemble

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/sdk"
)

// platformLayers is one platform's finished GOROOT layers.
type platformLayers struct {
	sdk      *sdk.SDK
	platform v1.Platform
	mtime    time.Time
	reset    *namedLayer   // the opaque whiteout for a non-scratch base
	layers   []*namedLayer // the recipe's GOROOT layers
	full     []*namedLayer // the full SDK's, for the report
	reused   bool
	// front is the go front's layer (frontLayer); nil when there is none.
	front *namedLayer
}

type namedLayer struct {
	Group  string        `json:"group"`
	Layer  *layers.Layer `json:"layer"`
	Cached bool          `json:"-"`
}

// buildLayers writes (or finds) every platform's layers, writing up to
// o.Jobs layers at once across platforms.
func buildLayers(ctx context.Context, o Options, st *store) ([]*platformLayers, error) {
	var (
		out  []*platformLayers
		jobs []*layerJob
	)
	for _, s := range o.SDKs {
		pl := &platformLayers{sdk: s, platform: s.Platform()}
		pl.mtime, _ = imageconfig.Created(o.MTime, s.Tree()) // checked in normalise
		out = append(out, pl)
		js, err := planPlatform(ctx, o.forPlatform(pl.platform), st, pl)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	// Largest first keeps both cores busy to the end.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].total > jobs[j].total })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Jobs)
	for _, j := range jobs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return j.run(gctx, o, st)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		for _, d := range j.dsts {
			nl := *j.done
			*d = &nl
		}
	}
	for _, pl := range out {
		if !pl.reused {
			if err := st.putPlatform(pl, o.forPlatform(pl.platform)); err != nil {
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
	all, kept, err := resolveFiles(ctx, o, st, pl.sdk)
	if err != nil {
		return nil, err
	}
	jp := &jobPlanner{o: o, st: st, pl: pl, byKey: map[string]*layerJob{}}
	if !o.Base.IsScratch() && !isWindows(pl.platform) {
		if err := jp.add(resetGroup(o.GOROOT), &pl.reset, false); err != nil {
			return nil, err
		}
	}
	groups := o.LayerPlan.Split(kept, splitRoot(o.GOROOT))
	pl.layers = make([]*namedLayer, len(groups))
	for i, g := range groups {
		if err := jp.add(g, &pl.layers[i], false); err != nil {
			return nil, err
		}
	}
	fullGroups := o.LayerPlan.Split(all, splitRoot(o.GOROOT))
	pl.full = make([]*namedLayer, len(fullGroups))
	for i, g := range fullGroups {
		if err := jp.add(g, &pl.full[i], true); err != nil {
			return nil, err
		}
	}
	return jp.jobs, nil
}

// resolveFiles returns the SDK's complete file set (the full SDK of the
// report) and the files the recipe keeps, with stripped binaries written
// to a work directory.
func resolveFiles(ctx context.Context, o Options, st *store, s *sdk.SDK) (all, kept goroot.FileSet, err error) {
	work, err := st.WorkDir("apply-")
	if err != nil {
		return nil, nil, err
	}
	plan, kept, err := prune.Prepare(ctx, s.Tree(), o.Recipe, work)
	if err != nil {
		return nil, nil, err
	}
	return plan.All, kept, nil
}

// jobPlanner turns a platform's groups into layer jobs, one per distinct
// layer: a group the recipe leaves as the full SDK has it is written once.
type jobPlanner struct {
	o     Options
	st    *store
	pl    *platformLayers
	jobs  []*layerJob
	byKey map[string]*layerJob
}

func (jp *jobPlanner) add(g layers.Group, dst **namedLayer, full bool) error {
	key, err := jp.st.layerKey(jp.pl, jp.o, g)
	if err != nil {
		return err
	}
	j := jp.byKey[key]
	if j == nil {
		j = &layerJob{key: key, group: g, platform: imageref.FormatPlatform(jp.pl.platform), mtime: jp.pl.mtime,
			windows: isWindows(jp.pl.platform)}
		if full {
			j.label = "full:" + g.Name
		} else {
			j.label = g.Name
		}
		for _, e := range g.Entries {
			j.total += e.Size
		}
		jp.byKey[key] = j
		jp.jobs = append(jp.jobs, j)
	}
	// The SBOM lists the image's GOROOT files with their digests: the
	// writer hashes the files of the image's own layers as it tars them.
	if !full && g.Name != "reset" && jp.o.SBOM {
		j.digests = true
	}
	j.dsts = append(j.dsts, dst)
	return nil
}

// report tells Progress about a platform whose layers all came from the cache.
func report(o Options, pl *platformLayers) {
	if o.Progress == nil {
		return
	}
	for _, l := range pl.layers {
		o.Progress(Event{Platform: imageref.FormatPlatform(pl.platform), Layer: l.Group,
			Done: l.Layer.UncompressedSize, Total: l.Layer.UncompressedSize, Finished: true, Cached: true})
	}
}

// layerJob writes one layer (or finds it in the cache); buildLayers then
// hands it to every platform slot that wants it.
type layerJob struct {
	key      string
	group    layers.Group
	label    string
	platform string
	mtime    time.Time
	total    int64
	digests  bool // the layer must list its files' digests
	windows  bool // the layer is in the Windows form (layers.WithWindows)
	dsts     []**namedLayer
	done     *namedLayer // run's result, handed to dsts after every job ran
}

func (j *layerJob) run(ctx context.Context, o Options, st *store) error {
	l, err := st.getLayer(j.key, j.digests)
	if err != nil {
		return err
	}
	cached := l != nil
	if l == nil {
		opts := append(o.compression(), layers.WithMTime(j.mtime),
			layers.WithSync(st.Persistent()), layers.WithFileDigests(j.digests), layers.WithWindows(j.windows))
		if o.Progress != nil {
			opts = append(opts, layers.WithProgress(func(n int64) {
				o.Progress(Event{Platform: j.platform, Layer: j.label, Done: n, Total: j.total})
			}))
		}
		tmp, err := st.TempPath(j.key)
		if err != nil {
			return err
		}
		l, err = layers.Write(ctx, tmp, j.group.Entries, opts...)
		if err != nil {
			return fmt.Errorf("writing %s layer for %s: %w", j.group.Name, j.platform, err)
		}
		if err := st.putLayer(j.key, l); err != nil {
			return err
		}
	}
	if o.Progress != nil {
		o.Progress(Event{Platform: j.platform, Layer: j.label, Done: j.total, Total: j.total, Finished: true, Cached: cached})
	}
	j.done = &namedLayer{Group: j.group.Name, Layer: l, Cached: cached}
	return nil
}

// resetGroup is the layer that hides whatever the base image has at the
// GOROOT path: an opaque whiteout, so the image's GOROOT is exactly the
// SDK's. It is added for every base but scratch.
func resetGroup(goroot string) layers.Group {
	dir := strings.TrimPrefix(path.Clean(goroot), "/")
	return layers.Group{Name: "reset", Entries: []layers.Entry{
		{Name: dir, Mode: fs.ModeDir | 0o755},
		{Name: path.Join(dir, ".wh..wh..opq"), Mode: 0o644},
	}}
}
