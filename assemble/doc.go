// Package assemble assembles Go SDK images: it lays a pruned GOROOT over a base
// image as a few layers, sets the image config and labels, makes each
// image's referrers (its SBOM), and reports the size saved against the full
// SDK. It writes to no output: package publish does.
package assemble
