package assemble

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sbom"
)

// Referrer is an artifact about one platform image (its SBOM, its
// provenance): bytes of one media type that publishers attach as an OCI 1.1
// artifact manifest whose subject is the image. Assembly makes referrers;
// it never writes them anywhere.
type Referrer struct {
	// Kind names the artifact in messages ("SBOM"); lower-cased it tags
	// the artifact in an OCI layout ("sbom-<subject digest prefix>").
	Kind string
	// ArtifactType is the artifact manifest's artifactType
	// ("application/spdx+json").
	ArtifactType string
	// MediaType is the media type of the one blob holding Data;
	// ArtifactType when empty.
	MediaType types.MediaType
	// Data is the artifact's content.
	Data []byte
	// FileSuffix names the file that holds Data next to an output without
	// referrers, such as a docker tarball (FILE + ".spdx.json").
	FileSuffix string
}

// BlobMediaType is the media type of the blob holding Data.
func (r Referrer) BlobMediaType() types.MediaType {
	if r.MediaType != "" {
		return r.MediaType
	}
	return types.MediaType(r.ArtifactType)
}

// SBOMSuffix is the FileSuffix of an SBOM referrer.
const SBOMSuffix = ".spdx.json"

// sbomReferrer makes the SPDX document of pl's image from the digests the
// layer writer took of the image's own GOROOT layers: the opaque whiteout
// of the reset layer hides the base's files at the GOROOT path, so these
// are exactly the image's files there. The files of fsl, the file system
// layer (nil when the base has it all), are listed too, from the digests
// its writer took.
func sbomReferrer(ctx context.Context, o Options, pl *platformLayers, fsl *namedLayer) (Referrer, error) {
	var digests []layers.FileDigest
	for _, nl := range pl.layers {
		if !nl.Layer.HasDigests {
			return Referrer{}, fmt.Errorf("making SBOM for %s: layer %s was written without file digests", imageref.FormatPlatform(pl.platform), nl.Group)
		}
		digests = append(digests, nl.Layer.Digests...)
	}
	var fsDigests []layers.FileDigest
	if fsl != nil {
		if !fsl.Layer.HasDigests {
			return Referrer{}, fmt.Errorf("making SBOM for %s: layer %s was written without file digests", imageref.FormatPlatform(pl.platform), fsl.Group)
		}
		fsDigests = fsl.Layer.Digests
	}
	in := sbom.Input{
		SDK: pl.sdk, Recipe: recipeName(o.Recipe), RecipeDigest: recipeDigest(o.Recipe),
		Digests: digests, FileSystem: fsDigests, GOROOTPath: o.GOROOT, Created: pl.mtime, Tool: o.Tool,
	}
	if !o.Base.IsScratch() {
		in.Base, in.BaseDigest = strings.TrimPrefix(o.Base.Name, "image:"), o.Base.Digest.String()
	}
	doc, err := sbom.Generate(ctx, in)
	if err != nil {
		return Referrer{}, err
	}
	return Referrer{Kind: "SBOM", ArtifactType: sbom.MediaType, Data: doc, FileSuffix: SBOMSuffix}, nil
}
