// Package sbom writes deterministic SPDX 2.3 JSON documents describing the
// Go SDK inside an image: the release, where it came from and its hash, the
// recipe and its digest, every kept GOROOT file with its checksums and size
// category, and the base image. It also reads those documents back (for
// gorootimg diff), from a file or from the OCI artifact that package
// publish attaches to an image.
package sbom
