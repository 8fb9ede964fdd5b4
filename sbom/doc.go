// Package sbom writes deterministic SPDX 2.3 JSON documents describing the
// Go SDK inside an image.
package sbom
