package main

import (
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gorootimg/gorootimg/provenance"
)

// provenanceFlagUsage is build's --provenance help text.
const provenanceFlagUsage = `attach an SLSA v1 provenance statement to each platform's image (in-toto JSON, as an OCI artifact whose subject is the image, as publish attaches it; FILE.provenance.json next to --tarball)`

// provenanceSubject is the repository of tag, as provenance records it
// ("" without a tag).
func provenanceSubject(tag string) string {
	if ref, err := name.ParseReference(tag); tag != "" && err == nil {
		return ref.Context().String()
	}
	return ""
}

// builder is this gorootimg, as provenance records it.
func builder() provenance.Builder {
	mod, gov := buildVersion()
	return provenance.Builder{Version: mod, GoVersion: gov}
}
