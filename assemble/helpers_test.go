package assemble

import (
	"io"
	"log"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func mutateConfig(img v1.Image, cf *v1.ConfigFile) (v1.Image, error) {
	return mutate.ConfigFile(img, cf)
}

func emptyIndex() v1.ImageIndex { return empty.Index }

// pushDockerIndex pushes images as a Docker manifest list.
func pushDockerIndex(ref string, imgs []v1.Image) error {
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}}})
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, idx)
}

func quietRegistry() http.Handler { return registry.New(registry.Logger(log.New(io.Discard, "", 0))) }
