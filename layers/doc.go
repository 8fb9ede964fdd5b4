// Package layers writes image layers in one pass: tar entries are hashed
// (diffID), compressed and hashed again (digest) as they stream to a file,
// with pinned settings so the same inputs give the same digests anywhere.
// Finished layers are handed to go-containerregistry through
// partial.CompressedToLayer.
package layers
