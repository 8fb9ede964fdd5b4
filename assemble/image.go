package assemble

import (
	"fmt"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/sdk"
)

// groupHistory says what each layer group holds, for the image history:
// a plan group's words are the layer plan's (layers.GroupHolds).
func groupHistory(group string) string {
	switch group {
	case "rootfs":
		return "the file system a Go build needs: /tmp, GOPATH, GOCACHE and what the base lacks of CA roots, /etc/passwd, /etc/group"
	case "reset":
		return "hide the base image's files at the GOROOT path (opaque whiteout)"
	case warmGroup:
		return "the build cache (GOCACHE) with the standard library built by the image's own go command"
	case frontGroup:
		return "the go front, which keeps the warm build cache under a read-only root (a writable cache of links to it)"
	}
	return layers.GroupHolds(group)
}

// assemble stacks a platform's layers on its base image (nil for scratch)
// and sets the config. fsl, when not nil, is the file system layer
// (rootfs); it goes right above the base's layers. warm, when not nil,
// is the warm build cache, the top layer. caps, when not nil, makes the
// final image: its capabilities label and, with pl's go front layer, the
// front on its PATH (the image the warm step runs has neither). The result uses OCI media types throughout: a base
// with Docker media types has them translated (the blobs are the same).
func assemble(base v1.Image, baseRef *imageref.Ref, pl *platformLayers, o Options, fsl, warm *namedLayer, caps *Capabilities) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	if base != nil {
		m, err := base.Manifest()
		if err != nil {
			return nil, fmt.Errorf("reading base image manifest: %w", err)
		}
		for _, d := range m.Layers {
			l, err := base.LayerByDigest(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading base image layer %s: %w", d.Digest, err)
			}
			mt := ociLayerType(d.MediaType)
			if mt != d.MediaType {
				l = retyped{Layer: l, mt: mt}
			}
			adds = append(adds, mutate.Addendum{Layer: l, MediaType: mt, Annotations: d.Annotations, URLs: d.URLs})
		}
	}
	res := o.Resolved
	res.Base = baseRef
	cfg, _, err := ImageConfig(&res, pl.sdk, pl.mtime, base, warm != nil)
	if err != nil {
		return nil, err
	}
	if caps != nil {
		finishConfig(cfg, pl, caps)
	}
	ours := pl.layers
	if pl.front != nil {
		ours = append(ours[:len(ours):len(ours)], pl.front)
	}
	if pl.reset != nil {
		ours = append([]*namedLayer{pl.reset}, ours...)
	}
	if fsl != nil {
		ours = append([]*namedLayer{fsl}, ours...)
	}
	if warm != nil {
		ours = append(ours, warm)
	}
	for _, nl := range ours {
		l, err := nl.Layer.V1()
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: nl.Layer.MediaType})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, nl.Layer.DiffID)
		cfg.History = append(cfg.History, v1.History{
			Created:   v1.Time{Time: pl.mtime},
			CreatedBy: fmt.Sprintf("gorootimg build: %s %s recipe %s: %s", pl.sdk.Version, o.GOROOT, recipeName(o.Recipe), groupHistory(nl.Group)),
			Comment:   nl.Group,
		})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	return img, nil
}

// ImageConfig returns the config of the image Assemble makes of s as o
// resolves it, on base (nil for scratch; o.Base names it), before its
// layers are added, and the Meta it is made from: config and labels,
// Source included. created is the image's time (imageconfig.Created);
// warm says whether the image carries o.WarmCache. gorootimg llb gives
// BuildKit's exporter the same config, so the two cannot drift.
func ImageConfig(o *imagespec.Resolved, s *sdk.SDK, created time.Time, base v1.Image, warm bool) (*v1.ConfigFile, imageconfig.Meta, error) {
	meta := imageconfig.Meta{
		GoVersion: s.Version, GOROOT: o.GOROOTFor(s.GOOS), Created: created,
		Recipe: recipeName(o.Recipe), RecipeDigest: recipeDigest(o.Recipe),
		SDKSource: s.Source, SDKHash: s.Hash, Source: o.Source,
		Platform: s.Platform(), User: o.User,
	}
	if warm {
		for _, v := range o.WarmCache {
			meta.WarmCache = append(meta.WarmCache, string(v))
		}
	}
	var baseCfg *v1.ConfigFile
	if base != nil {
		var err error
		if baseCfg, err = base.ConfigFile(); err != nil {
			return nil, meta, fmt.Errorf("reading base image config: %w", err)
		}
		meta = meta.WithBase(o.Base, baseCfg)
	}
	return imageconfig.Config(baseCfg, meta), meta, nil
}

// finishConfig gives the final image's config its capabilities label and,
// when pl has the go front, the front's directory on PATH right before
// GOROOT/bin.
func finishConfig(cfg *v1.ConfigFile, pl *platformLayers, caps *Capabilities) {
	if isWindows(pl.platform) {
		if cfg.Config.Labels == nil {
			cfg.Config.Labels = map[string]string{}
		}
		return
	}
	FinishConfig(cfg, *caps, pl.front != nil)
}

// FinishConfig gives a Linux image's config (ImageConfig's) what its last
// layers bring: the capabilities label and, when front says the image
// carries the go front, the front's directory on PATH right before
// GOROOT/bin. gorootimg llb finishes its config with it, as build does.
func FinishConfig(cfg *v1.ConfigFile, caps Capabilities, front bool) {
	if cfg.Config.Labels == nil {
		cfg.Config.Labels = map[string]string{}
	}
	cfg.Config.Labels[imageconfig.LabelCapabilities] = caps.Label()
	if !front {
		return
	}
	for i, kv := range cfg.Config.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			cfg.Config.Env[i] = "PATH=" + frontPATH(v)
		}
	}
}

// frontPATH puts cacheprog.BinDir in p before every directory but
// GOPATH/bin, so before GOROOT/bin (imageconfig's order).
func frontPATH(p string) string {
	var out []string
	placed := false
	for _, d := range strings.Split(p, ":") {
		if d == cacheprog.BinDir {
			continue
		}
		if !placed && d != path.Join(rootfs.GOPATH, "bin") {
			out, placed = append(out, cacheprog.BinDir), true
		}
		out = append(out, d)
	}
	if !placed {
		out = append(out, cacheprog.BinDir)
	}
	return strings.Join(out, ":")
}

// ociLayerType translates a Docker layer media type to its OCI twin.
func ociLayerType(mt types.MediaType) types.MediaType {
	switch mt {
	case types.DockerLayer:
		return types.OCILayer
	case types.DockerForeignLayer:
		return types.OCIRestrictedLayer
	case types.DockerUncompressedLayer:
		return types.OCIUncompressedLayer
	}
	return mt
}

// retyped is a base layer under its OCI media type: the same blob.
type retyped struct {
	v1.Layer
	mt types.MediaType
}

func (r retyped) MediaType() (types.MediaType, error) { return r.mt, nil }

// index puts the platform images under one OCI image index.
func index(imgs []PlatformImage) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, pi := range imgs {
		cf, err := pi.Image.ConfigFile()
		if err != nil {
			return nil, err
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
		adds = append(adds, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}
