package main

import (
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/provenance"
	"github.com/gorootimg/gorootimg/release"
)

// provenanceFlagUsage is build's --provenance help text.
const provenanceFlagUsage = `attach an SLSA v1 provenance statement to each platform's image (in-toto JSON, as an OCI artifact whose subject is the image, as publish attaches it; FILE.provenance.json next to --tarball)`

// addProvenance gives each image of res, built with o, its statement; the
// subject is named by the repository of tag when there is one.
func addProvenance(res *assemble.Result, o assemble.Options, tag string) error {
	subject := ""
	if ref, err := name.ParseReference(tag); tag != "" && err == nil {
		subject = ref.Context().String()
	}
	mod, gov := buildVersion()
	return release.AddProvenance(res, o, release.Provenance{
		Subject: subject, Builder: provenance.Builder{Version: mod, GoVersion: gov},
	})
}
