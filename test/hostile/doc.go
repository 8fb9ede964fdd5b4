// Package hostile generates hostile inputs for gorootimg's SDK readers and
// checks that each is refused with a clear error and leaves nothing behind.
//
// Cases returns the corpus: release tarballs, toolchain module zips and OCI
// images that try path traversal (../, absolute names, through symlinks and
// hard links), symlink loops, duplicate entries, a zip whose central
// directory disagrees with its local headers, a decompression bomb, an SDK
// whose VERSION or tools lie about the release, device files and setuid
// bits, and a layer whose content does not match the manifest's digest.
// Each case says which substrings a clear error must contain. The tests in
// this directory run every case through sdk.Resolve with an empty cache
// and check that the cache, the output and the files the input aims at are
// untouched; hack/reliability.sh renders their results as the table in
// docs/reliability.md.
package hostile
