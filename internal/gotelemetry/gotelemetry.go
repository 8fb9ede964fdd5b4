// Package gotelemetry turns the go command's telemetry off for a HOME that
// gorootimg or a test made and will remove.
//
// The go command (1.23 and newer) writes counters below
// $HOME/.config/go/telemetry and may start a sidecar that outlives it and
// goes on writing there. Removing such a HOME then races the sidecar
// ("unlinkat ...telemetry: directory not empty"). GOTELEMETRY is not read
// from the environment; the mode file is the only switch, and "off" stops
// both the counters and the sidecar.
package gotelemetry

import (
	"fmt"
	"os"
	"path/filepath"
)

// Off writes the mode file "off" below home, as `go telemetry off` would.
func Off(home string) error {
	dir := filepath.Join(home, ".config", "go", "telemetry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("turning go telemetry off in %s: %w", home, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("off\n"), 0o644); err != nil {
		return fmt.Errorf("turning go telemetry off in %s: %w", home, err)
	}
	return nil
}
