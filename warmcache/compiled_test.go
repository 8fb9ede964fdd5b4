package warmcache

import (
	"slices"
	"testing"
)

func TestCompiledStd(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		std     []string
		sawMain bool
	}{
		{"warm", "mkdir -p $WORK/b001/\n/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -trimpath \"$WORK/b001=>\" -p main -lang=go1.21 -complete ./main.go\n/usr/local/go/pkg/tool/linux_amd64/link -o hello\n", nil, true},
		{"cold", "/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -p net/http -std -complete x.go\n" +
			"/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b003/_pkg_.a -p internal/abi -std x.go\n" +
			"/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b004/_pkg_.a -p net/http -std x.go\n" +
			"/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p main x.go\n", []string{"internal/abi", "net/http"}, true},
		{"module packages are not std", "/go/pkg/tool/linux_amd64/compile -o a -p example.com/warm/racy x.go\n/go/pkg/tool/linux_amd64/compile -o a -p golang.org/x/net/idna x.go\n", nil, false},
		{"no compile", "/usr/local/go/pkg/tool/linux_amd64/link -o hello\n", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			std, sawMain := CompiledStd(tc.out)
			if !slices.Equal(std, tc.std) || sawMain != tc.sawMain {
				t.Errorf("CompiledStd(%q) = %v, %v, want %v, %v", tc.out, std, sawMain, tc.std, tc.sawMain)
			}
		})
	}
}
