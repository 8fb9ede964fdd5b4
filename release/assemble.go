package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/matrix"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/warmcache"
)

// variant is a matrix variant with its recipe and base opened, shared by
// the images of every release.
type variant struct {
	recipe *recipes.Recipe
	base   *imageref.Ref
	bases  []assemble.BaseImage
	comp   layers.Compression
	level  int
	warm   []warmcache.Variant
}

// prepare opens every variant's recipe and base and checks its options
// before any work, keyed by variant name.
func prepare(ctx context.Context, f *matrix.File, images []matrix.Image, o *Options) (map[string]*variant, error) {
	out := map[string]*variant{}
	for i := range images {
		im := &images[i]
		v := &im.Variant
		if out[v.Name] != nil {
			continue
		}
		where := fmt.Sprintf("images file %s: %s", f.Name, v)
		comp, err := layers.ParseCompression(v.Compression)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := comp.CheckLevel(v.CompressionLevel); err != nil {
			return nil, fmt.Errorf("%s: compression-level: %w", where, err)
		}
		var warm []warmcache.Variant
		if len(v.WarmCache) > 0 {
			if warm, err = warmcache.ParseList(strings.Join(v.WarmCache, ",")); err != nil {
				return nil, fmt.Errorf("%s: warm-cache: %w", where, err)
			}
		}
		r, err := recipes.Lookup(v.Recipe)
		if err != nil {
			return nil, fmt.Errorf("%s: recipe: %w", where, err)
		}
		base, err := imageref.Load(ctx, v.Base, o.Remote...)
		if err != nil {
			return nil, fmt.Errorf("%s: base: %w", where, err)
		}
		bases, err := assemble.LookupBase(base, im.Platforms)
		if err != nil {
			return nil, fmt.Errorf("%s: base: %w", where, err)
		}
		out[v.Name] = &variant{recipe: r, base: base, bases: bases, comp: comp, level: v.CompressionLevel, warm: warm}
	}
	return out, nil
}

// assembled is one image of the matrix, built, with its index digest.
type assembled struct {
	res    *assemble.Result
	digest v1.Hash
}

// assembleAll resolves the SDKs of every release first, Jobs+1 releases
// at a time (downloads wait on the network, not the CPU), then builds
// every image, Jobs at a time, in matrix order. The results are returned
// even on error, for the caller to close (a nil Result closes as nothing).
func assembleAll(ctx context.Context, images []matrix.Image, variants map[string]*variant, o *Options) ([]assembled, error) {
	sdks, err := resolveAll(ctx, images, o)
	if err != nil {
		return nil, err
	}
	out := make([]assembled, len(images))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Jobs)
	for i := range images {
		g.Go(func() error {
			im := &images[i]
			res, err := assembleOne(gctx, im, sdks[im.Release.Version], variants[im.Variant.Name], o)
			if err != nil {
				return fmt.Errorf("assembling %s: %w", im, err)
			}
			d, err := res.Index.Digest()
			if err != nil {
				res.Close()
				return err
			}
			out[i] = assembled{res: res, digest: d}
			return nil
		})
	}
	return out, g.Wait()
}

// resolveAll resolves each release's SDKs for the matrix's platforms once
// (from the download cache when it has them), keyed by Go version.
func resolveAll(ctx context.Context, images []matrix.Image, o *Options) (map[string][]*sdk.SDK, error) {
	var versions []string
	var platforms [][]v1.Platform
	for i := range images {
		if v := images[i].Release.Version; !slices.Contains(versions, v) {
			versions = append(versions, v)
			platforms = append(platforms, images[i].Platforms)
		}
	}
	got := make([][]*sdk.SDK, len(versions))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Jobs + 1)
	for i, v := range versions {
		g.Go(func() error {
			s, err := sdk.Resolve(gctx, v, platforms[i], o.SDK)
			if err != nil {
				return fmt.Errorf("resolving %s: %w", v, err)
			}
			got[i] = s
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := map[string][]*sdk.SDK{}
	for i, v := range versions {
		out[v] = got[i]
	}
	return out, nil
}

// assembleOne builds the image from its SDKs with its SBOMs and provenance.
func assembleOne(ctx context.Context, im *matrix.Image, sdks []*sdk.SDK, v *variant, o *Options) (*assemble.Result, error) {
	name := im.String()
	bo := assemble.Options{
		SDKs: sdks, Recipe: v.recipe, Base: v.base, BaseImages: v.bases,
		GOROOT: im.Variant.GOROOTPath, Compression: v.comp, CompressionLevel: v.level, WarmCache: v.warm, MTime: o.MTime,
		SBOM: true, Tool: "gorootimg " + o.Builder.Version,
		CacheDir: o.CacheDir, Jobs: o.LayerJobs,
	}
	if o.Progress != nil {
		bo.Progress = func(ev assemble.Event) {
			ev.Platform = name + " " + ev.Platform
			o.Progress(ev)
		}
	}
	res, err := assemble.Assemble(ctx, bo)
	if err != nil {
		return nil, err
	}
	if err := AddProvenance(res, bo, Provenance{Subject: im.Repository.String(), Builder: o.Builder}); err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}
