package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
)

// Registry publishes to a registry reference (a tag, or a digest).
//
// Publish is Stage then Tag: every blob, the platform manifests, the index
// and the referrers go up by digest first, and the tag moves last, so a
// push that fails anywhere leaves the tag where it was and a tag never
// names an index whose referrers are missing. The index digest is known
// from the result before anything is pushed; Tagged tells where the tag
// points now, so a caller can skip an unchanged image. A caller publishing
// several images can Stage them all before it moves any tag.
type Registry struct {
	ref string
	o   options
}

// NewRegistry returns the publisher of ref.
func NewRegistry(ref string, opts ...Option) (*Registry, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if _, err := imageref.ParseReference(ref, o.remote...); err != nil {
		return nil, err
	}
	return &Registry{ref: ref, o: o}, nil
}

// retryCodes are the statuses a push retries with backoff.
var retryCodes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

func (r *Registry) remote(ctx context.Context) (name.Reference, []remote.Option, error) {
	ref, err := imageref.ParseReference(r.ref, r.o.remote...)
	if err != nil {
		return nil, nil, err
	}
	ro, err := imageref.RemoteOptions(r.o.remote...)
	if err != nil {
		return nil, nil, err
	}
	return ref, append(ro, remote.WithContext(ctx), remote.WithRetryStatusCodes(retryCodes...), remote.WithJobs(r.o.jobs)), nil
}

// Check makes sure the registry answers and accepts our credentials,
// before any work is done.
func (r *Registry) Check(ctx context.Context) error {
	_, _, err := r.Tagged(ctx)
	return err
}

// Tagged returns the digest the reference names now; ok is false when the
// tag or repository does not exist yet. With the index digest of a result
// (known before anything is pushed) it tells whether a publish would
// change anything.
func (r *Registry) Tagged(ctx context.Context) (digest v1.Hash, ok bool, err error) {
	ref, ro, err := r.remote(ctx)
	if err != nil {
		return v1.Hash{}, false, err
	}
	desc, err := remote.Head(ref, ro...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return v1.Hash{}, false, nil // a new tag or repository
	}
	if err != nil {
		return v1.Hash{}, false, pushError(ref, err)
	}
	return desc.Digest, true, nil
}

// Publish stages res and then moves the tag to its index.
func (r *Registry) Publish(ctx context.Context, res *assemble.Result) error {
	if err := r.Stage(ctx, res); err != nil {
		return err
	}
	return r.Tag(ctx, res)
}

// Stage pushes everything of res but the tag: the blobs (those the
// registry has are skipped), the platform manifests and the index by
// digest, then each referrer's artifact by digest. Registries without the
// referrers API get the fallback tag ("sha256-<subject hex>") that
// go-containerregistry maintains.
func (r *Registry) Stage(ctx context.Context, res *assemble.Result) error {
	ref, ro, err := r.remote(ctx)
	if err != nil {
		return err
	}
	arts, err := referrerArtifacts(res)
	if err != nil {
		return err
	}
	d, err := res.Index.Digest()
	if err != nil {
		return err
	}
	iro := ro
	if r.o.progress != nil {
		ch := make(chan v1.Update, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for u := range ch {
				if u.Error == nil {
					r.o.progress(u.Complete, u.Total)
				}
			}
		}()
		defer func() { <-done }()
		iro = append(ro[:len(ro):len(ro)], remote.WithProgress(ch))
	}
	if err := remote.WriteIndex(ref.Context().Digest(d.String()), res.Index, iro...); err != nil {
		return pushError(ref, err)
	}
	for _, a := range arts {
		at := ref.Context().Digest(a.digest.String())
		if err := remote.Write(at, a.art, ro...); err != nil {
			return fmt.Errorf("pushing %s to %q: %w", a.Kind, at, err)
		}
		r.o.logf("pushed %s %s for %s", a.Kind, at, imageref.FormatPlatform(a.image.Platform))
	}
	return nil
}

// Tag points the reference at res's index, which Stage pushed. For a
// digest reference it puts the index under that digest.
func (r *Registry) Tag(ctx context.Context, res *assemble.Result) error {
	ref, ro, err := r.remote(ctx)
	if err != nil {
		return err
	}
	if err := remote.Put(ref, res.Index, ro...); err != nil {
		return pushError(ref, err)
	}
	d, err := res.Index.Digest()
	if err != nil {
		return err
	}
	r.o.logf("pushed %s@%s", r.ref, d)
	return nil
}

// pushError explains a 401 in terms of what the user should do.
func pushError(r name.Reference, err error) error {
	host := r.Context().RegistryStr()
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized || strings.Contains(err.Error(), "UNAUTHORIZED") {
		if a, kerr := authn.DefaultKeychain.Resolve(r.Context()); kerr == nil && a == authn.Anonymous {
			return fmt.Errorf("pushing to %s: no credentials for %s; run docker login or set DOCKER_CONFIG", r, host)
		}
		return fmt.Errorf("pushing to %s: the registry rejected the credentials for %s (401); run docker login again or check DOCKER_CONFIG", r, host)
	}
	return fmt.Errorf("pushing to %s: %w", r, err)
}
