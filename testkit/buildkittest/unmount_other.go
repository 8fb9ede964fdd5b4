//go:build unix && !linux

package buildkittest

// unmountBelow does nothing: buildkitd's overlay mounts exist only on
// Linux.
func unmountBelow(dir string) {}
