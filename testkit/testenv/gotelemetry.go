package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// GoTelemetryOff turns the go command's telemetry off for home, a HOME the
// test made and will remove, as `go telemetry off` would: it writes the
// mode file "off".
//
// The go command (1.23 and newer) writes counters below
// $HOME/.config/go/telemetry and may start a sidecar that outlives it and
// goes on writing there, so removing the HOME races the sidecar
// ("unlinkat ...telemetry: directory not empty"). GOTELEMETRY is not read
// from the environment; the mode file is the only switch, and "off" stops
// both the counters and the sidecar.
func GoTelemetryOff(t testing.TB, home string) {
	t.Helper()
	dir := filepath.Join(home, ".config", "go", "telemetry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("turning go telemetry off in %s: %v", home, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("off\n"), 0o644); err != nil {
		t.Fatalf("turning go telemetry off in %s: %v", home, err)
	}
}
