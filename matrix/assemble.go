package matrix

import (
	"context"
	"fmt"
	"go/version"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/warmcache"
)

// prepare resolves every variant's spec (its recipe, with the recipe's
// warm-cache when the variant has none, and its base for the matrix's
// platforms) before any work, keyed by variant name.
func prepare(ctx context.Context, f *File, images []Image, o *PublishOptions) (map[string]*imagespec.Resolved, error) {
	out := map[string]*imagespec.Resolved{}
	for i := range images {
		im := &images[i]
		v := &im.Variant
		r := out[v.Name]
		if r == nil {
			var err error
			if r, err = v.Resolve(ctx, im.Platforms, imagespec.WithRemote(o.Remote...)); err != nil {
				return nil, fmt.Errorf("images file %s: %s: %w", f.Name, v, err)
			}
			out[v.Name] = r
		}
		// Expand checked the variant's own list; this is the recipe's too.
		if slices.Contains(r.WarmCache, warmcache.Tools) && version.Compare(im.Release.Version, "go1.25") < 0 {
			return nil, fmt.Errorf("images file %s: %s: warm-cache tools (recipe %s) needs Go 1.25 or later, and go selects %s", f.Name, v, r.Recipe.Name, im.Release.Version)
		}
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
func assembleAll(ctx context.Context, images []Image, variants map[string]*imagespec.Resolved, o *PublishOptions) ([]assembled, error) {
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
			res, err := assembleOne(gctx, im, sdksFor(sdks[im.Release.Version], im.Platforms), variants[im.Variant.Name], o)
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
func resolveAll(ctx context.Context, images []Image, o *PublishOptions) (map[string][]*sdk.SDK, error) {
	var versions []string
	var platforms [][]v1.Platform
	for i := range images {
		v := images[i].Release.Version
		j := slices.Index(versions, v)
		if j < 0 {
			versions, platforms = append(versions, v), append(platforms, nil)
			j = len(versions) - 1
		}
		for _, p := range images[i].Platforms {
			if !slices.ContainsFunc(platforms[j], func(q v1.Platform) bool { return q.Equals(p) }) {
				platforms[j] = append(platforms[j], p)
			}
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
func assembleOne(ctx context.Context, im *Image, sdks []*sdk.SDK, v *imagespec.Resolved, o *PublishOptions) (*assemble.Result, error) {
	name := im.String()
	bo := assemble.Options{
		SDKs: sdks, Resolved: *v, MTime: o.MTime, Tool: "gorootimg " + o.Builder.Version,
		Builder: o.Builder, Subject: im.Repository.String(),
		CacheDir: o.CacheDir, Jobs: o.LayerJobs,
		HostSDK: sdk.HostReleaseFunc(o.SDK),
	}
	if o.Progress != nil {
		bo.Progress = func(ev assemble.Event) {
			ev.Platform = name + " " + ev.Platform
			o.Progress(ev)
		}
	}
	return assemble.Assemble(ctx, bo)
}

// sdksFor picks the SDKs of platforms, in their order, from those of a
// release (resolved for every variant's platforms).
func sdksFor(all []*sdk.SDK, platforms []v1.Platform) []*sdk.SDK {
	var out []*sdk.SDK
	for _, p := range platforms {
		for _, s := range all {
			if s.Platform().Equals(v1.Platform{OS: p.OS, Architecture: p.Architecture}) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
