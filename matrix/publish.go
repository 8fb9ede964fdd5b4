package matrix

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/provenance"
	"github.com/gorootimg/gorootimg/publish"
	"github.com/gorootimg/gorootimg/sdk"
)

// PublishOptions configure Publish. The caller (cmd/gorootimg) fills them from the
// environment and flags; this package reads neither.
type PublishOptions struct {
	// SDK lists and resolves the releases: GOPROXY, GOSUMDB and the
	// download cache, as for --go.
	SDK sdk.Options
	// Remote configures every registry: the bases and the repository
	// (credentials, transport, --insecure).
	Remote []imageref.Option
	// CacheDir keeps finished layers between runs (such as
	// $GOROOTIMG_CACHE/build), so an image that did not change is
	// assembled without writing a layer. Empty means no cache.
	CacheDir string
	// MTime is every entry's time (SOURCE_DATE_EPOCH); zero means each
	// SDK's release time.
	MTime time.Time
	// Builder is the gorootimg that runs, for SBOMs and provenance.
	Builder provenance.Builder
	// DryRun stops after the plan: nothing is pushed.
	DryRun bool
	// Jobs is how many images are assembled at once (1 when 0); each
	// writes LayerJobs layers at once, and Jobs+1 releases' SDKs are
	// downloaded at once before. Images are published one at a time,
	// each pushing its blobs PushJobs at once. On 2 CPUs, 1 image at a
	// time is faster than 2 (layer compression already uses both) and
	// peaks at half the memory; see docs/publish.md.
	Jobs int
	// LayerJobs is assemble.Options.Jobs (2 when 0).
	LayerJobs int
	// PushJobs is how many blobs of an image are uploaded at once (4 when 0).
	PushJobs int
	// Logf receives one line per step ("pushed ...", "moved tag ...");
	// nil discards them.
	Logf func(format string, args ...any)
	// Progress, when set, is told about each layer; Event.Platform is
	// prefixed with the image ("go1.26.1 bookworm linux/amd64").
	Progress func(assemble.Event)
	// PushProgress, when set, gets the bytes pushed so far and the total
	// of one image's push.
	PushProgress func(image string, done, total int64)
}

func (o *PublishOptions) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Publish publishes the images file f: it lists the releases the module proxy
// serves, expands the matrix, checks every variant's recipe and base, reads
// what each tag points at now, assembles every image and computes its
// digest, and plans (NewPlan). Without DryRun it then publishes the
// plan: each image to push is staged whole (blobs, platform manifests,
// index and its referrers, the SBOM and provenance of every platform
// image, all by digest) and only then are its tags moved, so a fault
// leaves every tag where it was or on a complete new image. Images are
// published independently: one that fails does not stop the others, and
// the next run does what is left. The report says what was (or would be)
// pushed and moved; it is returned with the error when publishing failed.
func Publish(ctx context.Context, f *File, o PublishOptions) (*Report, error) {
	if o.Jobs <= 0 {
		o.Jobs = 1
	}
	if o.LayerJobs <= 0 {
		o.LayerJobs = 2
	}
	if o.PushJobs <= 0 {
		o.PushJobs = 4
	}
	if o.Builder.Version == "" {
		return nil, errors.New("publishing: no builder version")
	}
	rels, err := sdk.ListReleases(ctx, o.SDK)
	if err != nil {
		return nil, err
	}
	images, err := f.Expand(rels)
	if err != nil {
		return nil, err
	}
	variants, err := prepare(ctx, f, images, &o)
	if err != nil {
		return nil, err
	}
	now, err := readTags(ctx, images, &o)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	results, err := assembleAll(ctx, images, variants, &o)
	defer func() {
		for _, r := range results {
			r.res.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	built := make([]Built, len(results))
	for i, r := range results {
		built[i] = Built{Image: images[i], Digest: r.digest}
	}
	o.logf("assembled %d image(s) in %.1fs", len(images), time.Since(start).Seconds())
	plan, err := NewPlan(built, func(tag string) (v1.Hash, bool, error) {
		d, ok := now[tag]
		return d, ok, nil
	})
	if err != nil {
		return nil, err
	}
	rep := newReport(f, plan, results, o.DryRun)
	if o.DryRun || plan.UpToDate() {
		return rep, nil
	}
	return rep, publishPlan(ctx, plan, results, rep, &o)
}

// readTags reads what every tag of the matrix points at now, a few at a
// time. It is also the first request to the repository, so a registry
// that refuses our credentials fails here, before any image is assembled.
func readTags(ctx context.Context, images []Image, o *PublishOptions) (map[string]v1.Hash, error) {
	tags := AllTags(images)
	digests := make([]v1.Hash, len(tags))
	found := make([]bool, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, tag := range tags {
		g.Go(func() error {
			r, err := publish.NewRegistry(images[0].Ref(tag).String(), publish.WithRemote(o.Remote...))
			if err != nil {
				return err
			}
			digests[i], found[i], err = r.Tagged(gctx)
			if err != nil {
				return fmt.Errorf("reading tag %q: %w", tag, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	now := map[string]v1.Hash{}
	for i, tag := range tags {
		if found[i] {
			now[tag] = digests[i]
		}
	}
	return now, nil
}

// publishPlan publishes the steps that have work, one image at a time in
// plan order (each uploads its blobs a few at a time). Images of one
// release share most blobs, and pushing two of them at once races in some
// registries: docker-registry's filesystem storage rewrites a repository's
// blob link in place, so a manifest PUT can find a shared blob "unknown"
// while the other image's upload of it commits. Each step's error is its
// own: a failed image does not stop the others, and the errors are
// returned together.
func publishPlan(ctx context.Context, plan *Plan, results []assembled, rep *Report, o *PublishOptions) error {
	var errs []error
	for i := range plan.Steps {
		s := &plan.Steps[i]
		if s.UpToDate() {
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if err := publishStep(ctx, s, results[i].res, o); err != nil {
			errs = append(errs, fmt.Errorf("publishing %s: %w", &s.Image, err))
			rep.Images[i].Error = err.Error()
			continue
		}
		rep.Images[i].Done = true
	}
	rep.count()
	return errors.Join(errs...)
}

// publishStep stages the image when the repository may not have it and
// then moves its tags, in the image's tag order.
func publishStep(ctx context.Context, s *Step, res *assemble.Result, o *PublishOptions) error {
	name := s.Image.String()
	opts := []publish.Option{publish.WithRemote(o.Remote...), publish.WithLogf(o.logf), publish.WithJobs(o.PushJobs)}
	if o.PushProgress != nil {
		opts = append(opts, publish.WithProgress(func(done, total int64) { o.PushProgress(name, done, total) }))
	}
	if s.Push {
		r, err := publish.NewRegistry(s.Image.Repository.Digest(s.Digest.String()).String(), opts...)
		if err != nil {
			return err
		}
		if err := r.Stage(ctx, res); err != nil {
			return err
		}
		o.logf("staged %s as %s@%s", name, s.Image.Repository, s.Digest)
	}
	for _, m := range s.Moves {
		r, err := publish.NewRegistry(s.Image.Ref(m.Tag).String(), publish.WithRemote(o.Remote...))
		if err != nil {
			return err
		}
		if err := r.Tag(ctx, res); err != nil {
			return err
		}
		if m.New() {
			o.logf("tagged %s:%s (new) -> %s", s.Image.Repository, m.Tag, m.To)
		} else {
			o.logf("moved %s:%s %s -> %s", s.Image.Repository, m.Tag, m.From, m.To)
		}
	}
	return nil
}
