package provenance

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Media types and URIs of the statement.
const (
	// MediaType is the media type of an in-toto statement: the artifact
	// type of the referrer manifest and the media type of its one layer.
	MediaType = "application/vnd.in-toto+json"
	// ArtifactType is the artifactType of the referrer manifest.
	ArtifactType = MediaType
	// AnnotationPredicateType is the annotation naming the predicate type
	// on the referrer's layer (as BuildKit and cosign write it).
	AnnotationPredicateType = "in-toto.io/predicate-type"

	// StatementType is the statement's _type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is the SLSA provenance v1 predicate type.
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType names what the externalParameters of a gorootimg build
	// mean; it changes when their meaning does.
	BuildType = "https://github.com/gorootimg/gorootimg/buildtypes/build/v1"
	// BuilderID is the builder, followed by "@" and its version.
	BuilderID = "https://github.com/gorootimg/gorootimg/cmd/gorootimg"
)

// Input is what went into one image index.
type Input struct {
	// Subject is the image index (or image) the statement is about.
	Subject Subject
	// Builder is the gorootimg that built it.
	Builder Builder
	// SDKs are the Go SDKs, one per platform, as sdk.Resolve returned them.
	SDKs []SDK
	// Recipe is the recipe the SDKs were pruned by.
	Recipe Recipe
	// Base is the base image; the zero Base (or Ref "scratch") is none.
	Base Base
	// Platforms are the index's platforms, in its order.
	Platforms []v1.Platform
	// Compression ("gzip", "zstd") and CompressionLevel (0 = the pinned
	// default) are the layer compression.
	Compression      string
	CompressionLevel int
	// Layers is the layer plan ("toolchain,std,cmd,tests,rest").
	Layers string
	// WarmCache lists the build caches baked into the image, if any.
	WarmCache []string
	// GOROOTPath is where the SDK lives inside the image.
	GOROOTPath string
	// Tags are the tags the image was published under, if any.
	Tags []string
	// Created is the image's creation time (SOURCE_DATE_EPOCH or the
	// release time); zero leaves it out. No other time is recorded, so the
	// same inputs give the same statement.
	Created time.Time
}

// Subject names the image the statement is about.
type Subject struct {
	// Name is the repository, such as "ghcr.io/org/go-build".
	Name string
	// Digest is the manifest or index digest (sha256).
	Digest v1.Hash
}

// Builder is the gorootimg that ran.
type Builder struct {
	// Version is gorootimg's version ("v0.3.0", "(devel) 1a2b3c").
	Version string
	// GoVersion is the Go gorootimg was built with.
	GoVersion string
}

// SDK is one Go SDK as "gorootimg sdk" reports it.
type SDK struct {
	Platform v1.Platform
	// Version is the release, "go1.26.11".
	Version string
	// Source is where it came from,
	// "golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64".
	Source string
	// Hash is the source's hash: "h1:..." for a module, "sha256:..." for
	// an archive or image; empty for a local tree.
	Hash string
}

// Recipe is the recipe by name and digest (recipes.Recipe.Digest).
type Recipe struct {
	Name   string
	Digest string // "sha256:..."
}

// Base is the base image by reference and the digest it resolved to.
type Base struct {
	Ref    string
	Digest v1.Hash
}

// Generate returns the SLSA v1 provenance statement for in, as compact
// JSON. The same input gives the same bytes.
func Generate(in Input) ([]byte, error) {
	st, err := statementFor(&in)
	if err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	if err := Validate(b); err != nil { // a bug here, not the caller's mistake
		return nil, fmt.Errorf("making provenance: %w", err)
	}
	return b, nil
}

func statementFor(in *Input) (*statement, error) {
	if in.Subject.Digest.Algorithm != "sha256" || len(in.Subject.Digest.Hex) != 64 {
		return nil, fmt.Errorf("subject %q: want a sha256 digest, have %q", in.Subject.Name, in.Subject.Digest.String())
	}
	if in.Builder.Version == "" {
		return nil, errors.New("no builder version")
	}
	if len(in.SDKs) == 0 {
		return nil, errors.New("no SDK")
	}
	if len(in.Platforms) == 0 {
		return nil, errors.New("no platform")
	}
	deps, err := dependencies(in)
	if err != nil {
		return nil, err
	}
	ext := externalParameters{
		Go: in.SDKs[0].Version, Recipe: in.Recipe.Name, Base: in.Base.Ref,
		Compression: in.Compression, CompressionLevel: in.CompressionLevel,
		Layers: in.Layers, WarmCache: in.WarmCache, GOROOTPath: in.GOROOTPath, Tags: in.Tags,
	}
	if ext.Base == "" {
		ext.Base = "scratch"
	}
	for _, p := range in.Platforms {
		ext.Platforms = append(ext.Platforms, p.String())
	}
	var internal *internalParameters
	if !in.Created.IsZero() {
		internal = &internalParameters{Created: in.Created.UTC().Format(time.RFC3339)}
	}
	builderVersion := map[string]string{"gorootimg": in.Builder.Version}
	if in.Builder.GoVersion != "" {
		builderVersion["go"] = in.Builder.GoVersion
	}
	return &statement{
		Type:          StatementType,
		Subject:       []resourceDescriptor{{Name: in.Subject.Name, Digest: map[string]string{"sha256": in.Subject.Digest.Hex}}},
		PredicateType: PredicateType,
		Predicate: predicate{
			BuildDefinition: buildDefinition{
				BuildType:            BuildType,
				ExternalParameters:   ext,
				InternalParameters:   internal,
				ResolvedDependencies: deps,
			},
			RunDetails: runDetails{Builder: builder{
				ID:      BuilderID + "@" + url.PathEscape(in.Builder.Version),
				Version: builderVersion,
			}},
		},
	}, nil
}

// dependencies lists the SDKs (by platform), the recipe and the base.
func dependencies(in *Input) ([]resourceDescriptor, error) {
	sdks := slices.Clone(in.SDKs)
	slices.SortStableFunc(sdks, func(a, b SDK) int { return strings.Compare(a.Platform.String(), b.Platform.String()) })
	var deps []resourceDescriptor
	for _, s := range sdks {
		if s.Source == "" {
			return nil, fmt.Errorf("SDK %s for %s: no source", s.Version, s.Platform.String())
		}
		rd := resourceDescriptor{
			Name: s.Source,
			Annotations: map[string]string{
				"goVersion": s.Version,
				"platform":  s.Platform.String(),
			},
		}
		if mod, ok := strings.CutPrefix(s.Source, "golang.org/toolchain@"); ok {
			rd.URI = "pkg:golang/golang.org/toolchain@" + mod
		} else if u, err := url.Parse(s.Source); err == nil && u.Scheme != "" {
			rd.URI = s.Source // "local:/usr/local/go", "archive:...", "image:REF@sha256:..."
		}
		if s.Hash != "" {
			d, err := digestSet(s.Hash)
			if err != nil {
				return nil, fmt.Errorf("SDK %s: %w", s.Source, err)
			}
			rd.Digest = d
			rd.Annotations["hash"] = s.Hash
		}
		if rd.URI == "" && rd.Digest == nil {
			return nil, fmt.Errorf("SDK %s: no hash and no URI name it", s.Source)
		}
		deps = append(deps, rd)
	}
	if in.Recipe.Name == "" {
		return nil, errors.New("no recipe")
	}
	rd, err := digestSet(in.Recipe.Digest)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", in.Recipe.Name, err)
	}
	deps = append(deps, resourceDescriptor{Name: "recipe:" + in.Recipe.Name, Digest: rd})
	if in.Base.Ref != "" && in.Base.Ref != "scratch" {
		if in.Base.Digest.Algorithm != "sha256" {
			return nil, fmt.Errorf("base %q: want the sha256 digest it resolved to", in.Base.Ref)
		}
		deps = append(deps, resourceDescriptor{Name: in.Base.Ref, Digest: map[string]string{"sha256": in.Base.Digest.Hex}})
	}
	return deps, nil
}

// digestSet turns "sha256:HEX" or a Go module hash "h1:BASE64" into an
// in-toto digest set: {"sha256": HEX} or {"dirHash": HEX}.
func digestSet(h string) (map[string]string, error) {
	if hx, ok := strings.CutPrefix(h, "sha256:"); ok {
		if b, err := hex.DecodeString(hx); err != nil || len(b) != 32 || strings.ToLower(hx) != hx {
			return nil, fmt.Errorf("hash %q: want sha256: and 64 lower-case hex digits", h)
		}
		return map[string]string{"sha256": hx}, nil
	}
	if b64, ok := strings.CutPrefix(h, "h1:"); ok {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("hash %q: want h1: and a base64 SHA-256", h)
		}
		return map[string]string{"dirHash": hex.EncodeToString(b)}, nil
	}
	return nil, fmt.Errorf("hash %q: want sha256:HEX or h1:BASE64", h)
}

// The statement's JSON shape. Field order is fixed and maps are written
// sorted, so encoding/json gives the same bytes for the same input.
type statement struct {
	Type          string               `json:"_type"`
	Subject       []resourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     predicate            `json:"predicate"`
}

type predicate struct {
	BuildDefinition buildDefinition `json:"buildDefinition"`
	RunDetails      runDetails      `json:"runDetails"`
}

type buildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   externalParameters   `json:"externalParameters"`
	InternalParameters   *internalParameters  `json:"internalParameters,omitempty"`
	ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies"`
}

type externalParameters struct {
	Go               string   `json:"go"`
	Platforms        []string `json:"platforms"`
	Recipe           string   `json:"recipe"`
	Base             string   `json:"base"`
	Compression      string   `json:"compression,omitempty"`
	CompressionLevel int      `json:"compressionLevel,omitempty"`
	Layers           string   `json:"layers,omitempty"`
	WarmCache        []string `json:"warmCache,omitempty"`
	GOROOTPath       string   `json:"gorootPath,omitempty"`
	Tags             []string `json:"tags,omitempty"`
}

type internalParameters struct {
	Created string `json:"created,omitempty"`
}

type runDetails struct {
	Builder builder `json:"builder"`
}

type builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

type resourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}
