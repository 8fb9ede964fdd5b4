//go:build unix

package buildkittest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseAptSources(t *testing.T) {
	tests := []struct {
		name, content string
		want          AptSource
		ok            bool
	}{
		{"one-line", "# comment\ndeb http://mirror.test/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.test/debian bookworm main\n",
			AptSource{"http://mirror.test/debian", "bookworm"}, true},
		{"deb822", "Types: deb\nURIs: http://mirror.test/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n",
			AptSource{"http://mirror.test/debian", "bookworm"}, true},
		{"deb-src only", "Types: deb-src\nURIs: http://mirror.test/debian\nSuites: bookworm\n", AptSource{}, false},
		{"security only", "deb http://mirror.test/debian-security bookworm-security main\n", AptSource{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "sources")
			if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := parseAptSources(f)
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseAptSources = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
