package imageref

import (
	"fmt"
	"runtime"
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
		return nil, fmt.Errorf("%s has no image for %s; it has %s", r.Name, FormatPlatform(p), platformList(r.Platforms()))
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
			return nil, fmt.Errorf("%s is a %s image, not %s", r.Name, FormatPlatform(have), FormatPlatform(p))
		}
		return r.image, nil
	}
	return nil, fmt.Errorf("%s: no image loaded", r.Name)
}

// FormatPlatform formats p as "os/arch", or "os/arch/variant" when p has
// a variant: the form ParsePlatform reads and gorootimg prints.
func FormatPlatform(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// HostPlatform is the platform gorootimg runs on.
func HostPlatform() v1.Platform {
	return v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}

// ParsePlatform parses "os/arch" such as "linux/amd64", in lower case. A
// variant ("linux/arm/v7") is accepted and dropped: Go has one SDK for all
// variants of an architecture, and an image index is matched on OS and
// architecture when no variant is asked for.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch, such as linux/amd64", s)
	}
	for _, p := range parts {
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return v1.Platform{}, fmt.Errorf("platform %q: want os/arch in lower case, such as linux/amd64", s)
			}
		}
	}
	return v1.Platform{OS: parts[0], Architecture: parts[1]}, nil
}

// ParsePlatforms parses a comma-separated list such as
// "linux/amd64,linux/arm64" with ParsePlatform. Duplicates are an error;
// an empty string means the host platform.
func ParsePlatforms(s string) ([]v1.Platform, error) {
	if strings.TrimSpace(s) == "" {
		return []v1.Platform{HostPlatform()}, nil
	}
	var out []v1.Platform
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		p, err := ParsePlatform(f)
		if err != nil {
			return nil, err
		}
		if seen[FormatPlatform(p)] {
			return nil, fmt.Errorf("platform %s given twice", FormatPlatform(p))
		}
		seen[FormatPlatform(p)] = true
		out = append(out, p)
	}
	return out, nil
}

func platformList(ps []v1.Platform) string {
	if len(ps) == 0 {
		return "no platform images"
	}
	var s []string
	for _, p := range ps {
		s = append(s, FormatPlatform(p))
	}
	return strings.Join(s, ", ")
}
