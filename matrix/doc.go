// Package matrix is the images file of "gorootimg publish": which Go
// releases, platforms and variants one repository holds, and under which
// tags. Parse and Validate read the file strictly (unknown keys are errors
// with their line); Expand turns it, given the releases the module proxy
// serves, into the list of images to build with the tags each gets; Plan
// compares their digests with what the tags point at now and says which
// images to push and which tags to move.
//
// Publish runs it all: it resolves the Go releases the module proxy
// serves, resolves each variant's imagespec.Spec once, assembles every
// image (package assemble, with its SBOM and provenance referrers, from
// the layer cache where it can), compares each index digest with what its
// tags point at now, and publishes only what changed (package publish):
// each image is staged whole (blobs, manifests, index and referrers, by
// digest) before any of its tags moves.
package matrix
