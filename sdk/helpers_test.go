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
