// Package sbom writes deterministic SPDX 2.3 JSON documents describing the
// Go SDK inside an image: the release, where it came from and its hash, the
// recipe and its digest, every kept GOROOT file with its checksums and size
// category, and the base image. It also reads those documents back (for
// gorootimg diff) and attaches them to images as OCI artifacts whose subject
// is the image, in a registry or an OCI image layout.
package sbom
