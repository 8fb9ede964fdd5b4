//go:build linux

package enginetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinfmtLine(t *testing.T) {
	dir := t.TempDir()
	interp := "/bin/sh" // any executable stands in for qemu here
	for _, tc := range []struct {
		name, conf, want, err string
	}{
		{"adds F", "# comment\n:qemu-aarch64:M::\\x7f\\x45:\\xff\\xff:" + interp + ":OP\n", ":qemu-aarch64:M::\\x7f\\x45:\\xff\\xff:" + interp + ":OPF", ""},
		{"keeps F", ":qemu-aarch64:M::\\x7f:\\xff:" + interp + ":OCF\n", ":qemu-aarch64:M::\\x7f:\\xff:" + interp + ":OCF", ""},
		{"not a registration", ":qemu-aarch64:M::\\x7f\n", "", "is not a binfmt_misc registration"},
		{"no interpreter", ":qemu-aarch64:M::\\x7f:\\xff:/nonexistent/qemu:F\n", "", "interpreter /nonexistent/qemu"},
		{"empty", "# nothing\n", "", "no registration line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".conf")
			if err := os.WriteFile(f, []byte(tc.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := binfmtLine(f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("binfmtLine(%q) = %q, %v; want an error with %q", tc.conf, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("binfmtLine(%q) = %q, %v; want %q", tc.conf, got, err, tc.want)
			}
		})
	}
}

func TestHandlerOK(t *testing.T) {
	for _, tc := range []struct {
		entry string
		want  bool
	}{
		{"enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POF\noffset 0\n", true},
		{"enabled\ninterpreter /x\nflags: OC\n", false},
		{"disabled\ninterpreter /x\nflags: F\n", false},
	} {
		if got := handlerOK(tc.entry); got != tc.want {
			t.Errorf("handlerOK(%q) = %v, want %v", tc.entry, got, tc.want)
		}
	}
}
