package sdk

import (
	"context"
	"strings"
	"testing"
)

func TestHostReleaseBadInput(t *testing.T) {
	tests := []struct {
		version, want string
	}{
		{"local", `SDK of "local": not a Go release`},
		{"/usr/local/go", `not a Go release`},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			_, err := HostRelease(context.Background(), tc.version, Options{CacheDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("HostRelease(%q) = %v, want an error containing %q", tc.version, err, tc.want)
			}
		})
	}
}
