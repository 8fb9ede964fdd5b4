package sdk

import (
	"os/exec"
	"strings"
	"testing"
)

// runtimeGOROOT is the GOROOT of the go command on PATH.
func runtimeGOROOT(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// tempCache is a cache directory for one test. Trees in it are read-only,
// so it is made writable again before t.TempDir's cleanup removes it
// (which matters when the tests do not run as root).
func tempCache(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Cleanup(func() { makeWritable(d) })
	return d
}
