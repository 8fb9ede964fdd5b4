// Package release keeps a repository's image matrix current: Run reads an
// images file (package matrix), resolves the Go releases the module proxy
// serves, assembles every image (package assemble, from the layer cache where
// it can), compares each index digest with what its tags point at now,
// and publishes only what changed (package publish): each image is staged
// whole (blobs, manifests, index and referrers, by digest) before any of
// its tags moves. Each variant is an imagespec.Spec, resolved once;
// assemble makes each platform image's SBOM and provenance referrers.
package release
