//go:build unix && !linux

package prefetch

import "testing"

// crictl: the CRI rows run on Linux only.
func crictl(t *testing.T) string {
	t.Skip("skipping: crictl serves the CRI rows, which run on Linux only")
	return ""
}
