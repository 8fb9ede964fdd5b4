// Package layerstore keeps finished layers between runs: blobs named by
// their digest, JSON records named by content keys, and work directories
// on the same file system, so a layer written once is found again by the
// hash of its inputs (HashLines, StatID, TreeID) instead of being written
// twice.
package layerstore
