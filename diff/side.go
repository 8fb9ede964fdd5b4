package diff

import (
	"fmt"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Side is one side of a comparison: per platform, either an image or a
// file tree (an SDK with a recipe applied, compared without building an
// image).
type Side struct {
	// Name is how reports name the side ("oci:out:ci", "sdk:1.22.12?recipe=full").
	Name    string
	targets []target
}

type target struct {
	platform v1.Platform
	image    v1.Image
	tree     goroot.FileSet
}

// NewSide returns an empty side called name.
func NewSide(name string) *Side { return &Side{Name: name} }

// AddImage adds the image for platform p.
func (s *Side) AddImage(p v1.Platform, img v1.Image) error {
	if img == nil {
		return fmt.Errorf("adding image for %s to %q: nil image", imageref.FormatPlatform(p), s.Name)
	}
	return s.add(target{platform: p, image: img})
}

// AddTree adds a file tree for platform p: files named relative to GOROOT
// with their content at Src (as prune.Apply returns them). Compare places
// them below its GOROOT path.
func (s *Side) AddTree(p v1.Platform, files goroot.FileSet) error {
	return s.add(target{platform: p, tree: files})
}

func (s *Side) add(t target) error {
	key := imageref.FormatPlatform(t.platform)
	for _, o := range s.targets {
		if imageref.FormatPlatform(o.platform) == key {
			return fmt.Errorf("adding %s to %q: platform given twice", key, s.Name)
		}
	}
	s.targets = append(s.targets, t)
	return nil
}

// Platforms lists the side's platforms in the order they were added.
func (s *Side) Platforms() []v1.Platform {
	out := make([]v1.Platform, len(s.targets))
	for i, t := range s.targets {
		out[i] = t.platform
	}
	return out
}

func (s *Side) target(key string) (target, bool) {
	for _, t := range s.targets {
		if imageref.FormatPlatform(t.platform) == key {
			return t, true
		}
	}
	return target{}, false
}
