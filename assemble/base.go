package assemble

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

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
