// Package build assembles Go SDK images: it lays a pruned GOROOT over a base
// image as a few layers, sets the image config and labels, writes the result
// to registries, OCI layouts and docker tarballs, and reports the size saved
// against the full SDK.
package build
