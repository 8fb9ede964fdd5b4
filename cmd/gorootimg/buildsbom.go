package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/gorootimg/gorootimg/build"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sbom"
	"github.com/gorootimg/gorootimg/sdk"
)

// sbomFlagUsage is build's --sbom help text.
const sbomFlagUsage = `attach an SBOM to each platform's image: "spdx" (SPDX 2.3 JSON, as an OCI artifact whose subject is the image, pushed with --push, added to --oci-layout; FILE.spdx.json next to --tarball)`

// checkSBOMFlag validates build's --sbom before any work.
func checkSBOMFlag(format string) error {
	if format != "" && format != "spdx" {
		return usagef("--sbom %q: the only format is spdx", format)
	}
	return nil
}

// writeBuildSBOMs makes one SPDX document per platform image of res, from
// the files below the GOROOT in the image itself, and attaches it to every
// output build wrote: the registry (with --push), the OCI layout, or a file
// next to the tarball. The documents' digests go to stderr.
func writeBuildSBOMs(ctx context.Context, e *env, f *buildFlags, res *build.Result, sdks []*sdk.SDK, recipe *recipes.Recipe, base *imageref.Ref, goroot, layoutDir string, rf *remoteFlags) error {
	if f.sbom == "" {
		return nil
	}
	mod, _ := buildVersion()
	for i, pi := range res.Images {
		if i >= len(sdks) {
			return fmt.Errorf("--sbom: %d images for %d SDKs", len(res.Images), len(sdks))
		}
		cfg, err := pi.Image.ConfigFile()
		if err != nil {
			return fmt.Errorf("--sbom: %w", err)
		}
		// Only the layers build added can hold files below the GOROOT: the
		// first of them hides the base's with an opaque whiteout. Reading
		// just those spares fetching the base's layers again.
		ls, err := pi.Image.Layers()
		if err != nil {
			return fmt.Errorf("--sbom: %w", err)
		}
		nbase := 0
		if !base.IsScratch() {
			bimg, err := base.Image(pi.Platform)
			if err != nil {
				return fmt.Errorf("--sbom: %w", err)
			}
			bls, err := bimg.Layers()
			if err != nil {
				return fmt.Errorf("--sbom: %w", err)
			}
			nbase = len(bls)
		}
		ours, err := mutate.AppendLayers(empty.Image, ls[nbase:]...)
		if err != nil {
			return fmt.Errorf("--sbom: %w", err)
		}
		in := sbom.Input{
			SDK: sdks[i], Recipe: recipe.Name, RecipeDigest: recipe.Digest(),
			Image: ours, GOROOTPath: goroot, Created: cfg.Created.Time,
			Tool: "gorootimg " + mod,
		}
		if !base.IsScratch() {
			in.Base, in.BaseDigest = strings.TrimPrefix(base.Name, "image:"), base.Digest.String()
		}
		doc, err := sbom.Generate(ctx, in)
		if err != nil {
			return err
		}
		desc, err := partial.Descriptor(pi.Image)
		if err != nil {
			return fmt.Errorf("--sbom: %w", err)
		}
		plat := pi.Platform.OS + "/" + pi.Platform.Architecture
		if layoutDir != "" {
			d, err := sbom.WriteLayout(layout.Path(layoutDir), doc, *desc)
			if err != nil {
				return err
			}
			logSBOM(e, f, "added SBOM %s for %s to %s", d, plat, layoutDir)
		}
		if f.tarball != "" {
			p := f.tarball + ".spdx.json"
			if err := atomicfile.WriteFile(p, doc, 0o644); err != nil {
				return err
			}
			logSBOM(e, f, "wrote SBOM for %s to %s", plat, p)
		}
		if f.push {
			ref, err := imageref.ParseReference(f.tag, rf.options()...)
			if err != nil {
				return fmt.Errorf("--sbom: %w", err)
			}
			ropts, err := imageref.RemoteOptions(rf.options()...)
			if err != nil {
				return fmt.Errorf("--sbom: %w", err)
			}
			d, err := sbom.Push(ctx, ref.Context(), doc, *desc, ropts...)
			if err != nil {
				return err
			}
			logSBOM(e, f, "pushed SBOM %s for %s", d, plat)
		}
	}
	return nil
}

func logSBOM(e *env, f *buildFlags, format string, args ...any) {
	if !f.quiet {
		fmt.Fprintf(e.stderr, "gorootimg: "+format+"\n", args...)
	}
}
