package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/imagespec"
)

// specUsage is the help text of each flag that binds a key of
// imagespec.Spec. The flag is named as the key; --goroot-path is declared
// with the SDK flags (it also says where an image:REF SDK keeps its GOROOT).
var specUsage = map[string]string{
	"recipe":            "recipe: a built-in name (see 'gorootimg recipes') or a recipe file",
	"base":              "base image: REF, image:REF, oci:DIR[:TAG], tarball:FILE or scratch",
	"compression":       "layer compression: gzip or zstd",
	"compression-level": "compression level: gzip 1-9, zstd 1-22 as the zstd tool names them (0: the compression's pinned default)",
	"layers":            "how the GOROOT is split into layers: groups from toolchain,std,cmd,tests,docs,rest",
	"warm-cache":        "build these into the image's build cache as one more layer: a comma-separated list of std, vet, race, tools (without root where no C compiler is involved; overrides the recipe's warm-cache)",
	"source":            "URL for the org.opencontainers.image.source label",
	"sbom":              sbomFlagUsage,
	"provenance":        provenanceFlagUsage,
	"user":              "numeric user the image runs as, UID or UID:GID such as 65532:0 (empty: the base's user; see docs/kubernetes.md)",
}

// bindSpec declares on fs a flag for each key of s given, named as the
// key, with the spec's defaults; usage overrides specUsage for a key.
func bindSpec(fs *pflag.FlagSet, s *imagespec.Spec, usage map[string]string, keys ...string) {
	help := func(k string) string {
		if u, ok := usage[k]; ok {
			return u
		}
		return specUsage[k]
	}
	for _, k := range keys {
		switch k {
		case "recipe":
			fs.StringVar(&s.Recipe, k, imagespec.DefaultRecipe, help(k))
		case "base":
			fs.StringVar(&s.Base, k, imagespec.DefaultBase, help(k))
		case "compression":
			fs.StringVar(&s.Compression, k, string(imagespec.DefaultCompression), help(k))
		case "compression-level":
			fs.IntVar(&s.CompressionLevel, k, 0, help(k))
		case "layers":
			fs.StringVar(&s.Layers, k, imagespec.DefaultLayers, help(k))
		case "warm-cache":
			fs.StringSliceVar(&s.WarmCache, k, nil, help(k))
		case "source":
			fs.StringVar(&s.Source, k, "", help(k))
		case "sbom":
			fs.StringVar(&s.SBOM, k, "", help(k))
		case "provenance":
			fs.BoolVar(&s.Provenance, k, false, help(k))
		case "user":
			fs.StringVar(&s.User, k, "", help(k))
		default:
			panic("bindSpec: no flag for spec key " + k)
		}
	}
}

// specError names the flag of a spec key in err: a usage error when the
// value is wrong (Validate), a plain error when a lookup failed.
func specError(err error, usage bool) error {
	var ke *imagespec.KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if usage {
		return usagef("--%s: %v", ke.Key, ke.Err)
	}
	return fmt.Errorf("--%s: %w", ke.Key, ke.Err)
}

// specKeysBut is every key of imagespec.Spec but the ones given.
func specKeysBut(but ...string) []string {
	var out []string
	for _, k := range imagespec.Keys() {
		if !slices.Contains(but, k) {
			out = append(out, k)
		}
	}
	return out
}
