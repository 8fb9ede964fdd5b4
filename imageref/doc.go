// Package imageref parses and loads the image references gorootimg accepts
// wherever it reads an image (--base, diff, verify, the image:/oci: SDK
// sources):
//
//	REF or image:REF   a registry reference, "registry/repo:tag" or "...@sha256:..."
//	oci:DIR[:TAG]      an OCI image layout directory; TAG is matched against the
//	                   org.opencontainers.image.ref.name annotation in index.json
//	tarball:FILE       a "docker save" tarball holding one image
//	scratch            the empty image
//
// Load returns a Ref that gives go-containerregistry v1.Image values per
// platform. Plain-HTTP registries are reached only on loopback addresses
// unless WithInsecure is given.
package imageref
