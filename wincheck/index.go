package wincheck

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Index checks every Windows image of idx with Image, and that each one's
// index entry states the platform its config does (os, architecture and
// os.version: a Windows host picks an image by them). Images of other
// OSes are left alone, so a mixed Linux and Windows index passes. It fails
// when idx holds no Windows image, and runs go-containerregistry's
// validate.Index over the whole.
func Index(idx v1.ImageIndex, o Options) ([]*Result, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index manifest: %w", err)
	}
	var out []*Result
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS != "windows" {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return out, fmt.Errorf("reading image %s: %w", d.Digest, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return out, fmt.Errorf("reading image %s config: %w", d.Digest, err)
		}
		p := d.Platform
		if p.Architecture != cf.Architecture || p.OSVersion != cf.OSVersion {
			return out, fmt.Errorf("index entry %s says windows/%s %q, its config windows/%s %q", d.Digest, p.Architecture, p.OSVersion, cf.Architecture, cf.OSVersion)
		}
		r, err := Image(img, o)
		if err != nil {
			return out, fmt.Errorf("image %s: %w", d.Digest, err)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the index holds no windows image")
	}
	var vo []validate.Option
	if o.Fast {
		vo = append(vo, validate.Fast)
	}
	if err := validate.Index(idx, vo...); err != nil {
		return out, fmt.Errorf("go-containerregistry validate: %w", err)
	}
	return out, nil
}
