package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoTelemetryOff checks with the go command itself: after GoTelemetryOff, `go env GOTELEMETRY`
// in that HOME says off, and running go writes nothing below the telemetry
// directory but the mode file.
func TestGoTelemetryOff(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipping: no go command on PATH")
	}
	for _, off := range []bool{false, true} {
		home := t.TempDir()
		if off {
			GoTelemetryOff(t, home)
		}
		cmd := exec.Command("go", "env", "GOTELEMETRY")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GOENV=off", "GOTOOLCHAIN=local"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go env GOTELEMETRY: %v", err)
		}
		mode := strings.TrimSpace(string(out))
		var written []string
		filepath.WalkDir(filepath.Join(home, ".config", "go", "telemetry"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				written = append(written, filepath.Base(p))
			}
			return nil
		})
		switch {
		case off && (mode != "off" || len(written) != 1):
			t.Errorf("after GoTelemetryOff: go env GOTELEMETRY = %q and go wrote %q, want off and only the mode file", mode, written)
		case !off && (mode == "off" || len(written) == 0):
			t.Errorf("without GoTelemetryOff: go env GOTELEMETRY = %q and go wrote %q, want counters written (else the test proves nothing)", mode, written)
		}
	}
}
