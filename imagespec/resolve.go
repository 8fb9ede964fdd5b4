package imagespec

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/warmcache"
)

// Resolved is a Spec with its defaults filled in, its recipe and base
// looked up and every value parsed: what assemble takes.
type Resolved struct {
	// Recipe prunes each SDK; nil lays the whole SDK unchanged ("full").
	Recipe *recipes.Recipe
	// Base is the base image; nil or imageref.Scratch for none.
	Base *imageref.Ref
	// BaseImages are Base's images for the platforms Resolve was given, so
	// that they are not looked up again. Optional: a platform that is not
	// here is looked up in Base.
	BaseImages []BaseImage
	// GOROOT is the SDK's path in the image (DefaultGOROOTPath when empty);
	// each platform takes it through GOROOTFor.
	GOROOT string
	// Compression is the layer compression (DefaultCompression when empty).
	Compression layers.Compression
	// CompressionLevel is the compression's level; 0 is the pinned default.
	CompressionLevel int
	// LayerPlan splits the GOROOT into layers (the default plan when nil).
	LayerPlan layers.Plan
	// WarmCache, when not empty, adds the image's build cache with these
	// variants as one more layer: the spec's, else the recipe's.
	WarmCache []warmcache.Variant
	// Source is the optional org.opencontainers.image.source label.
	Source string
	// SBOM gives each platform image an SPDX 2.3 SBOM referrer.
	SBOM bool
	// Provenance gives each platform image an SLSA v1 provenance referrer.
	Provenance bool
	// User is the image config's numeric user (UID or UID:GID); empty
	// keeps the base's.
	User string
}

// Option configures Resolve.
type Option func(*options) error

type options struct {
	remote []imageref.Option
}

// WithRemote configures the registry the base is read from (credentials,
// transport, plain HTTP).
func WithRemote(opts ...imageref.Option) Option {
	return func(o *options) error {
		o.remote = append(o.remote, opts...)
		return nil
	}
}

// Resolve validates s, fills in its defaults, looks up its recipe (and
// the recipe's warm-cache when s has none) and its base, and looks up the
// base's image for each platform, so that a base without one of them is
// refused before any SDK is fetched. Errors about one key are *KeyError.
func (s *Spec) Resolve(ctx context.Context, platforms []v1.Platform, opts ...Option) (*Resolved, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkPlatforms(platforms); err != nil {
		return nil, err
	}
	r := &Resolved{GOROOT: s.GOROOTPath, CompressionLevel: s.CompressionLevel, Source: s.Source,
		SBOM: s.SBOM != "", Provenance: s.Provenance, User: s.User}
	if r.GOROOT == "" {
		r.GOROOT = DefaultGOROOTPath
	}
	r.Compression, _ = s.compression() // checked by Validate
	r.LayerPlan, _ = parseLayerPlan(s.Layers)
	r.WarmCache, _ = s.warmCache()
	var err error
	recipe := s.Recipe
	if recipe == "" {
		recipe = DefaultRecipe
	}
	if r.Recipe, err = recipes.Lookup(recipe); err != nil {
		return nil, keyErr("recipe", err)
	}
	if len(r.WarmCache) == 0 && r.Recipe.WarmCache != "" {
		if r.WarmCache, err = warmcache.ParseList(r.Recipe.WarmCache); err != nil {
			return nil, keyErr("recipe", fmt.Errorf("%s: warm-cache: %w", r.Recipe.Name, err))
		}
	}
	base := s.Base
	if base == "" {
		base = DefaultBase
	}
	if r.Base, err = imageref.Load(ctx, base, o.remote...); err != nil {
		return nil, keyErr("base", err)
	}
	if r.BaseImages, err = lookupBase(r.Base, platforms); err != nil {
		return nil, keyErr("base", err)
	}
	return r, nil
}

// parseLayerPlan parses a layer plan; "" is the default plan.
func parseLayerPlan(s string) (layers.Plan, error) {
	return layers.ParsePlan(s)
}

// BaseImage is a base image's image for one platform.
type BaseImage struct {
	Platform v1.Platform
	Image    v1.Image
}

// lookupBase looks up base's image for each platform, once, so that a
// base without a platform is refused before any SDK is fetched and the
// images are not looked up again. A scratch base has none.
func lookupBase(base *imageref.Ref, platforms []v1.Platform) ([]BaseImage, error) {
	if base.IsScratch() {
		return nil, nil
	}
	var out []BaseImage
	for _, p := range platforms {
		img, err := base.Image(v1.Platform{OS: p.OS, Architecture: p.Architecture})
		if err != nil {
			return nil, err
		}
		out = append(out, BaseImage{Platform: p, Image: img})
	}
	return out, nil
}
