// Package provenance writes the SLSA provenance v1 statement (an in-toto
// Statement v1) of a gorootimg image: the image index as subject, the
// build's parameters, and as resolved dependencies the Go SDKs with the
// hashes "gorootimg sdk" reports, the recipe with its digest and the base
// image with its digest. Nothing in it depends on when or where the build
// ran, so the same inputs give the same bytes. A publisher attaches it to
// the image as a referrer artifact of type MediaType.
package provenance
