package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/provenance"
)

// ProvenanceKind is the Kind of a provenance referrer: in an OCI layout the
// artifact is tagged "provenance-<subject digest prefix>".
const ProvenanceKind = "provenance"

// ProvenanceSuffix is the FileSuffix of a provenance referrer: a tarball's
// statement is written to FILE + ProvenanceSuffix.
const ProvenanceSuffix = ".provenance.json"

// provenanceReferrer makes the SLSA v1 provenance statement of pi, the
// image of o.SDKs[i], as a referrer (Kind ProvenanceKind, ArtifactType
// provenance.ArtifactType), which every publisher attaches next to the
// image the way it attaches the SBOM. o is normalised: its defaults are
// the ones the image was built with.
//
// The subject of each statement is that platform's image manifest, the
// same subject as its SBOM: a platform image is what a runtime pulls and
// what tools look up referrers of. The statement names that platform's SDK
// (source and hash), the recipe and its digest, the base and the digest it
// resolved to, and the build parameters; its only time is the image's
// created time. The same inputs give the same bytes: tags are not
// recorded, since they move between releases while the image stays.
func provenanceReferrer(pi *PlatformImage, o Options, i int) (Referrer, error) {
	data, err := statement(pi, o, i)
	if err != nil {
		return Referrer{}, err
	}
	return Referrer{Kind: ProvenanceKind, ArtifactType: provenance.ArtifactType, Data: data, FileSuffix: ProvenanceSuffix}, nil
}

func statement(pi *PlatformImage, o Options, i int) ([]byte, error) {
	s := o.SDKs[i]
	d, err := pi.Image.Digest()
	if err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	cf, err := pi.Image.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	plat := v1.Platform{OS: s.GOOS, Architecture: s.GOARCH}
	in := provenance.Input{
		Subject:          provenance.Subject{Name: o.Subject, Digest: d},
		Builder:          o.Builder,
		SDKs:             []provenance.SDK{{Platform: plat, Version: s.Version, Source: s.Source, Hash: s.Hash}},
		Recipe:           provenance.Recipe{Name: FullRecipe, Digest: fullRecipeDigest},
		Platforms:        []v1.Platform{plat},
		Compression:      string(o.Compression),
		CompressionLevel: o.CompressionLevel,
		Layers:           o.LayerPlan.String(),
		WarmCache:        warmList(o),
		GOROOTPath:       o.GOROOT,
		Created:          cf.Created.Time,
	}
	if o.Recipe != nil {
		in.Recipe = provenance.Recipe{Name: o.Recipe.Name, Digest: o.Recipe.Digest()}
	}
	if o.Base != nil && !o.Base.IsScratch() {
		in.Base = provenance.Base{Ref: strings.TrimPrefix(o.Base.Name, "image:"), Digest: o.Base.Digest}
	}
	return provenance.Generate(in)
}

// fullRecipeDigest stands for the unpruned SDK's recipe (Options.Recipe
// nil), which has no recipe file: the sha256 of its name.
var fullRecipeDigest = func() string {
	sum := sha256.Sum256([]byte(FullRecipe))
	return "sha256:" + hex.EncodeToString(sum[:])
}()
