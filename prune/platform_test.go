package prune

import (
	"go/build/constraint"
	"os"
	"path/filepath"
	"testing"
)

func TestNameOK(t *testing.T) {
	linux := platform{"linux", "amd64"}
	android := platform{"android", "arm64"}
	for _, tc := range []struct {
		p    platform
		name string
		want bool
	}{
		{linux, "print.go", true},
		{linux, "sys_linux.go", true},
		{linux, "sys_windows.go", false},
		{linux, "asm_amd64.s", true},
		{linux, "asm_arm64.s", false},
		{linux, "sys_linux_arm64.s", false},
		{linux, "sys_linux_amd64.s", true},
		{linux, "race_linux_amd64.syso", true},
		{linux, "race_darwin_amd64.syso", false},
		{linux, "linux.go", true}, // no underscore: no suffix
		{linux, "foo_unix.go", true},
		{linux, "x_windows_test.go", false},
		{android, "sys_linux.go", true},
		{platform{"illumos", "amd64"}, "a_solaris.go", true},
		{platform{"ios", "arm64"}, "a_darwin.go", true},
		{platform{}, "sys_windows.go", true},
	} {
		if got := tc.p.nameOK(tc.name); got != tc.want {
			t.Errorf("%v.nameOK(%q) = %v, want %v", tc.p, tc.name, got, tc.want)
		}
	}
}

func TestSatisfiable(t *testing.T) {
	linux := platform{"linux", "amd64"}
	for _, tc := range []struct {
		p    platform
		expr string
		want bool
	}{
		{linux, "linux", true},
		{linux, "windows", false},
		{linux, "unix", true},
		{platform{"windows", "amd64"}, "unix", false},
		{linux, "!windows && !plan9", true},
		{linux, "cgo", true},
		{linux, "!cgo", true},
		{linux, "linux && !cgo", true},
		{linux, "cgo && !cgo", false},
		{linux, "race && amd64", true},
		{linux, "race && arm64", false},
		{linux, "purego || !amd64", true},
		{linux, "!purego && arm64", false},
		{linux, "gccgo", false},
		{linux, "ignore", false},
		{linux, "gc && (netgo || osusergo)", true},
		{linux, "goexperiment.boringcrypto", true},
		{linux, "go1.21 && linux", true},
		{linux, "amd64.v3", true},
		{platform{}, "windows && arm64", true},
		{platform{}, "ignore", false},
		{platform{"android", "arm64"}, "linux && !android", false},
		{platform{"android", "arm64"}, "linux", true},
	} {
		x, err := constraint.Parse("//go:build " + tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.p.satisfiable(x); got != tc.want {
			t.Errorf("%v.satisfiable(%q) = %v, want %v", tc.p, tc.expr, got, tc.want)
		}
	}
}

func TestReadConstraint(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"a.go", "// Copyright\n\n//go:build linux && cgo\n\npackage a\n", "linux && cgo"},
		{"b.go", "/* block\ncomment */\n//go:build windows\n\npackage b\n", "windows"},
		{"c.go", "package c\n\n//go:build windows\n", ""},
		{"d.s", "// asm\n//go:build !purego\n\n#include \"textflag.h\"\n", "!purego"},
		{"e.go", "// +build linux\n// +build amd64\n\npackage e\n", "linux && amd64"},
		{"f.c", "//go:build cgo\n\n#include <stdio.h>\n", "cgo"},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.body), 0o644)
		x, _, err := readConstraint(p)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if x != nil {
			got = x.String()
		}
		if got != tc.want {
			t.Errorf("readConstraint(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
