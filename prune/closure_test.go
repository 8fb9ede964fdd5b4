package prune

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeGOROOT writes a tiny SDK-shaped tree.
func fakeGOROOT(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if filepath.Dir(name) == "bin" || filepath.Base(filepath.Dir(filepath.Dir(name))) == "tool" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var fakeFiles = map[string]string{
	"VERSION":                            "go1.99.1\ntime 2030-01-01T00:00:00Z\n",
	"go.env":                             "GOTOOLCHAIN=auto\n",
	"bin/go":                             "binary",
	"bin/gofmt":                          "binary",
	"pkg/tool/linux_amd64/compile":       "binary",
	"pkg/tool/linux_amd64/vet":           "binary",
	"pkg/include/textflag.h":             "#define NOSPLIT 4\n",
	"src/go.mod":                         "module std\n",
	"src/a/a.go":                         "package a\n\nimport (\n\t\"b\"\n\t\"golang.org/x/y\"\n)\n\n//go:embed data/*.txt\nvar _ string\n",
	"src/a/a_test.go":                    "package a\n\nimport \"testonly\"\n",
	"src/a/data/one.txt":                 "1",
	"src/a/data/skip.bin":                "x",
	"src/a/_ignored.go":                  "package a\nimport \"ignored\"\n",
	"src/a/gen.go":                       "//go:build ignore\n\npackage main\n\nimport \"genonly\"\n",
	"src/b/b_linux.go":                   "package b\n",
	"src/b/b_windows.go":                 "package b\n\nimport \"winonly\"\n",
	"src/b/b_cgo.go":                     "//go:build cgo && !netgo\n\npackage b\n\n// #include \"b.h\"\nimport \"C\"\n",
	"src/b/b.h":                          "int b(void);\n",
	"src/b/asm_amd64.s":                  "#include \"textflag.h\"\n#include \"inc/abi_amd64.h\"\n",
	"src/b/inc/abi_amd64.h":              "// included from the assembly\n",
	"src/b/asm_arm64.s":                  "#include \"textflag.h\"\n",
	"src/b/race.go":                      "//go:build race && arm64\n\npackage b\n\nimport \"racearm\"\n",
	"src/winonly/w.go":                   "package winonly\n",
	"src/racearm/r.go":                   "package racearm\n",
	"src/runtime/cgo/cgo.go":             "package cgo\n",
	"src/runtime/cgo/gcc_linux.c":        "//go:build cgo\nint x;\n",
	"src/syscall/s.go":                   "package syscall\n",
	"src/unsafe/u.go":                    "package unsafe\n",
	"src/vendor/golang.org/x/y/y.go":     "package y\n",
	"src/testonly/t.go":                  "package testonly\n",
	"src/genonly/g.go":                   "package genonly\n",
	"src/ignored/i.go":                   "package ignored\n",
	"src/cmd/tool/main.go":               "package main\n\nimport (\n\t\"a\"\n\t\"golang.org/x/z\"\n)\n",
	"src/cmd/vendor/golang.org/x/z/z.go": "package z\n",
	"src/cmd/tool/testdata/x.go":         "package x\n",
}

func TestClosure(t *testing.T) {
	root := fakeGOROOT(t, fakeFiles)
	common := []string{
		"src/a/a.go", "src/a/data/one.txt", "src/b/asm_amd64.s", "src/b/inc/abi_amd64.h", "src/b/b.h", "src/b/b_cgo.go", "src/b/b_linux.go",
		"src/runtime/cgo/cgo.go", "src/runtime/cgo/gcc_linux.c", "src/syscall/s.go", "src/unsafe/u.go",
		"src/vendor/golang.org/x/y/y.go",
	}
	for _, tc := range []struct {
		name     string
		plat     platform
		patterns []string
		want     []string
	}{
		{"a/linux", platform{"linux", "amd64"}, []string{"a"}, common},
		{"a/any", platform{}, []string{"a"}, append(slices.Clone(common),
			"src/b/asm_arm64.s", "src/b/b_windows.go", "src/b/race.go", "src/racearm/r.go", "src/winonly/w.go")},
		{"cmd/tool/linux", platform{"linux", "amd64"}, []string{"cmd/tool"}, append(slices.Clone(common),
			"src/cmd/tool/main.go", "src/cmd/vendor/golang.org/x/z/z.go")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newClosure(root, tc.plat).files(context.Background(), tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("closure(%v) =\n%v\nwant\n%v", tc.patterns, got, want)
			}
		})
	}
	// std: every package outside cmd, none of the ignored, test-only or
	// testdata ones.
	got, err := newClosure(root, platform{"linux", "amd64"}).files(context.Background(), []string{"std"})
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"src/testonly/t.go", "src/genonly/g.go", "src/a/a.go"} {
		if !slices.Contains(got, must) {
			t.Errorf("std closure lacks %s", must)
		}
	}
	for _, mustNot := range []string{"src/cmd/tool/main.go", "src/a/_ignored.go", "src/a/gen.go", "src/a/a_test.go", "src/cmd/tool/testdata/x.go"} {
		if slices.Contains(got, mustNot) {
			t.Errorf("std closure has %s", mustNot)
		}
	}
	if _, err := newClosure(root, platform{}).files(context.Background(), []string{"nosuch"}); err == nil {
		t.Errorf("closure(nosuch) = nil error, want one")
	}
}
