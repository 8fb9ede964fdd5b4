package imageref

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Platforms lists the platforms r has images for, in the order the index
// lists them. Attestation manifests ("unknown/unknown") are left out. A
// single image gives the platform in its config; scratch gives none (it
// serves any platform).
func (r *Ref) Platforms() []v1.Platform {
	switch {
	case r.index != nil:
		im, err := r.index.IndexManifest()
		if err != nil {
			return nil
		}
		var out []v1.Platform
		for _, d := range im.Manifests {
			if d.Platform == nil || d.Platform.OS == "unknown" || !d.MediaType.IsImage() {
				continue
			}
			out = append(out, *d.Platform)
		}
		return out
	case r.image != nil:
		cf, err := r.image.ConfigFile()
		if err != nil || cf.OS == "" {
			return nil
		}
		return []v1.Platform{{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}}
	}
	return nil
}

// Image returns the image for platform p. An index picks the first entry
// whose platform matches p's OS, architecture and (when p gives one)
// variant. A single image must match p unless its config names no
// platform. Scratch gives an empty image whose config names p.
func (r *Ref) Image(p v1.Platform) (v1.Image, error) {
	switch {
	case r.IsScratch():
		cf, err := empty.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		return mutate.ConfigFile(empty.Image, cf)
	case r.index != nil:
		im, err := r.index.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index of %s: %w", r, err)
		}
		spec := v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
		for _, d := range im.Manifests {
			if d.Platform == nil || !d.MediaType.IsImage() || !d.Platform.Satisfies(spec) {
				continue
			}
			img, err := r.index.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("opening %s image of %s: %w", p, r, err)
			}
			return img, nil
		}
		return nil, fmt.Errorf("%s has no image for %s; it has %s", r.Name, platformString(p), platformList(r.Platforms()))
	case r.image != nil:
		cf, err := r.image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of %s: %w", r, err)
		}
		if cf.OS == "" && cf.Architecture == "" {
			return r.image, nil
		}
		have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		if !have.Satisfies(v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}) {
			return nil, fmt.Errorf("%s is a %s image, not %s", r.Name, platformString(have), platformString(p))
		}
		return r.image, nil
	}
	return nil, fmt.Errorf("%s: no image loaded", r.Name)
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func platformList(ps []v1.Platform) string {
	if len(ps) == 0 {
		return "no platform images"
	}
	var s []string
	for _, p := range ps {
		s = append(s, platformString(p))
	}
	return strings.Join(s, ", ")
}
