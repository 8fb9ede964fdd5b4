package diff

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// SDKPrefix starts a side that is an SDK with a recipe applied rather than
// an image: "sdk:" + any --go value + an optional "?recipe=NAME".
const SDKPrefix = "sdk:"

// DefaultSDKRecipe is the recipe of an "sdk:" side that names none.
const DefaultSDKRecipe = "full"

// LoadOption configures LoadSide.
type LoadOption func(*loadOptions) error

type loadOptions struct {
	platforms, fallback []v1.Platform
	image               []imageref.Option
	sdk                 sdk.Options
	workDir             string
}

// WithPlatforms restricts an image side to ps and gives the platforms of
// an sdk: side. Without it an image side has every platform of the image
// and an sdk: side those of WithFallbackPlatforms. Only OS and
// architecture are matched.
func WithPlatforms(ps ...v1.Platform) LoadOption {
	return func(o *loadOptions) error {
		o.platforms = ps
		return nil
	}
}

// WithFallbackPlatforms gives the platforms of an sdk: side when
// WithPlatforms gives none (the CLI passes the other side's platforms);
// without either, the host's.
func WithFallbackPlatforms(ps ...v1.Platform) LoadOption {
	return func(o *loadOptions) error {
		o.fallback = ps
		return nil
	}
}

// WithImageOptions configures registry access.
func WithImageOptions(opts ...imageref.Option) LoadOption {
	return func(o *loadOptions) error {
		o.image = opts
		return nil
	}
}

// WithSDKOptions configures how an sdk: side's SDK is had (cache, proxy).
func WithSDKOptions(so sdk.Options) LoadOption {
	return func(o *loadOptions) error {
		o.sdk = so
		return nil
	}
}

// WithWorkDir gives the directory that receives the files a recipe
// transforms (stripped binaries); an sdk: side needs one. It must outlive
// the Compare call; the caller removes it.
func WithWorkDir(dir string) LoadOption {
	return func(o *loadOptions) error {
		if dir == "" {
			return errors.New("work directory: empty")
		}
		o.workDir = dir
		return nil
	}
}

// IsSDK reports whether spec names an sdk: side.
func IsSDK(spec string) bool { return strings.HasPrefix(spec, SDKPrefix) }

// LoadSide opens one side of a comparison: an image reference in any form
// imageref.Load accepts, or "sdk:GO?recipe=NAME".
func LoadSide(ctx context.Context, spec string, opts ...LoadOption) (*Side, error) {
	o := &loadOptions{}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if IsSDK(spec) {
		return loadSDKSide(ctx, spec, o)
	}
	ref, err := imageref.Load(ctx, spec, o.image...)
	if err != nil {
		return nil, err
	}
	s := NewSide(ref.String())
	platforms := ref.Platforms()
	switch {
	case len(platforms) == 0:
		// Scratch, or an image whose config names no platform: it serves
		// whatever platform is asked for.
		for _, p := range firstNonEmpty(o.platforms, o.fallback, []v1.Platform{imageref.HostPlatform()}) {
			platforms = append(platforms, v1.Platform{OS: p.OS, Architecture: p.Architecture})
		}
	case len(o.platforms) > 0:
		var keep []v1.Platform
		for _, want := range o.platforms {
			for _, p := range platforms {
				if p.OS == want.OS && p.Architecture == want.Architecture {
					keep = append(keep, p)
					break
				}
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("%s has no image for %s; it has %s", ref, v1List(o.platforms), v1List(platforms))
		}
		platforms = keep
	}
	for _, p := range platforms {
		img, err := ref.Image(p)
		if err != nil {
			return nil, err
		}
		if err := s.AddImage(v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}, img); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ParseSDKSpec splits "sdk:GO?recipe=NAME" into the --go value and the
// recipe (DefaultSDKRecipe when absent).
func ParseSDKSpec(spec string) (goSpec, recipe string, err error) {
	rest, ok := strings.CutPrefix(spec, SDKPrefix)
	if !ok {
		return "", "", fmt.Errorf("%q is not an sdk: side", spec)
	}
	goSpec, query, _ := strings.Cut(rest, "?")
	if goSpec == "" {
		return "", "", fmt.Errorf("%q: want sdk:GO?recipe=NAME, such as sdk:1.22.12?recipe=full", spec)
	}
	recipe = DefaultSDKRecipe
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", "", fmt.Errorf("parsing %q: %w", spec, err)
		}
		for k := range q {
			if k != "recipe" {
				return "", "", fmt.Errorf("%q: unknown parameter %q; only recipe= is understood", spec, k)
			}
		}
		if r := q.Get("recipe"); r != "" {
			recipe = r
		}
	}
	return goSpec, recipe, nil
}

func loadSDKSide(ctx context.Context, spec string, o *loadOptions) (*Side, error) {
	goSpec, recipeName, err := ParseSDKSpec(spec)
	if err != nil {
		return nil, err
	}
	platforms := firstNonEmpty(o.platforms, o.fallback, []v1.Platform{imageref.HostPlatform()})
	r, err := recipes.Lookup(recipeName)
	if err != nil {
		return nil, fmt.Errorf("loading recipe of %q: %w", spec, err)
	}
	sdks, err := sdk.Resolve(ctx, goSpec, platforms, o.sdk)
	if err != nil {
		return nil, err
	}
	s := NewSide(spec)
	for _, k := range sdks {
		if o.workDir == "" {
			return nil, fmt.Errorf("loading %q: no work directory for the recipe's output", spec)
		}
		_, files, err := prune.Prepare(ctx, k.Tree(), r, filepath.Join(o.workDir, k.GOOS+"_"+k.GOARCH))
		if err != nil {
			return nil, fmt.Errorf("loading %q for %s: %w", spec, k.Platform(), err)
		}
		if err := s.AddTree(k.Platform(), files); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func firstNonEmpty(lists ...[]v1.Platform) []v1.Platform {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

func v1List(ps []v1.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, imageref.FormatPlatform(p))
	}
	return strings.Join(s, ", ")
}

// SDKPlatforms reduces image platforms to the OS and architecture an SDK
// is for (variants dropped, duplicates removed), for passing one side's
// platforms to the other.
func SDKPlatforms(ps []v1.Platform) []v1.Platform {
	var out []v1.Platform
	seen := map[string]bool{}
	for _, p := range ps {
		k := v1.Platform{OS: p.OS, Architecture: p.Architecture}
		if !seen[imageref.FormatPlatform(k)] {
			seen[imageref.FormatPlatform(k)] = true
			out = append(out, k)
		}
	}
	return out
}
