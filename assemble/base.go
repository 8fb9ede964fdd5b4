package assemble

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
)

// BaseImage is a base image's image for one platform.
type BaseImage struct {
	Platform v1.Platform
	Image    v1.Image
}

// LookupBase looks up base's image for each platform, once, so a build
// can refuse a base without a platform before any SDK is fetched and pass
// the images on in Options.BaseImages. A scratch (or nil) base has none.
// The errors are base.Image's.
func LookupBase(base *imageref.Ref, platforms []v1.Platform) ([]BaseImage, error) {
	if base == nil || base.IsScratch() {
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

// bases returns the base image of each SDK (nil for scratch), from
// o.BaseImages when it has the platform and from o.Base otherwise.
func (o *Options) bases() ([]v1.Image, error) {
	out := make([]v1.Image, len(o.SDKs))
	if o.Base.IsScratch() {
		return out, nil
	}
	for i, s := range o.SDKs {
		for _, b := range o.BaseImages {
			if b.Platform.OS == s.GOOS && b.Platform.Architecture == s.GOARCH && b.Image != nil {
				out[i] = b.Image
				break
			}
		}
		if out[i] != nil {
			continue
		}
		img, err := o.Base.Image(v1.Platform{OS: s.GOOS, Architecture: s.GOARCH})
		if err != nil {
			return nil, fmt.Errorf("choosing base image: %w", err)
		}
		out[i] = img
	}
	return out, nil
}
