package goroot

import (
	"io/fs"
	"testing"
)

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		want fs.FileMode
	}{
		{"bin/go", 0o755},
		{"pkg/tool/linux_amd64/compile", 0o755},
		{"src/make.bash", 0o755},
		{"src/all.rc", 0o755},
		{"src/regexp/syntax/make_perl_groups.pl", 0o755},
		{"misc/wasm/go_js_wasm_exec", 0o755},
		{"lib/wasm/go_wasip1_wasm_exec", 0o755},
		{"src/fmt/print.go", 0o644},
		{"VERSION", 0o644},
		{"misc/go_exec", 0o644},
	} {
		if got := ModeOf(tc.name); got != tc.want {
			t.Errorf("ModeOf(%q) = %o, want %o", tc.name, got, tc.want)
		}
	}
}
