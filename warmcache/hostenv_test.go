package warmcache

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestHostEnv(t *testing.T) {
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"defaults", []string{"PATH=/usr/bin", "GOROOT=/usr/local/go", "GOCACHE=/c", "GOTOOLCHAIN=local"},
			[]string{"PATH=/usr/bin", "GOTOOLCHAIN=local", "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOROOT=/sdk", "GOCACHE=/w/c", "GOENV=off", "GOTMPDIR=/w/t"}},
		{"image's own", []string{"GOROOT=/g", "GOCACHE=/c", "CGO_ENABLED=0", "GOARCH=arm64", "GOENV=/x", "GOTMPDIR=/tmp/x", "GOFLAGS=-trimpath"},
			[]string{"CGO_ENABLED=0", "GOARCH=arm64", "GOFLAGS=-trimpath", "GOOS=linux", "GOROOT=/sdk", "GOCACHE=/w/c", "GOENV=off", "GOTMPDIR=/w/t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hostEnv(tc.env, arm64, "/sdk", "/w/c", "/w/t")
			if !slices.Equal(got, tc.want) {
				t.Errorf("hostEnv(%q) = %q, want %q", tc.env, got, tc.want)
			}
		})
	}
}

func TestHostReason(t *testing.T) {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	tests := []struct {
		name  string
		env   map[string]string
		hasCC bool
		p     v1.Platform
		list  []Variant
		want  string // "" = the host path
	}{
		{"scratch", map[string]string{}, false, amd64, []Variant{Std, Vet}, ""},
		{"race without a C compiler fails as the go command says", map[string]string{}, false, amd64, []Variant{Std, Race}, ""},
		{"gcc", map[string]string{}, true, amd64, []Variant{Std}, "C compiler"},
		{"gcc, CGO_ENABLED=0", map[string]string{"CGO_ENABLED": "0"}, true, amd64, []Variant{Std}, ""},
		{"CGO_ENABLED=1", map[string]string{"CGO_ENABLED": "1"}, false, amd64, []Variant{Std}, "CGO_ENABLED=1"},
		{"tools", map[string]string{}, false, amd64, []Variant{Std, Tools}, "tools"},
		{"arm", map[string]string{}, false, v1.Platform{OS: "linux", Architecture: "arm"}, []Variant{Std}, "GOARM"},
		{"windows", map[string]string{}, false, v1.Platform{OS: "windows", Architecture: "amd64"}, []Variant{Std}, "linux"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hostReason(&imageFacts{env: tc.env, cc: "gcc", hasCC: tc.hasCC}, tc.p, tc.list)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("hostReason(%v, cc %v, %s, %v) = %q, want %q", tc.env, tc.hasCC, tc.p.Architecture, tc.list, got, tc.want)
			}
		})
	}
}
