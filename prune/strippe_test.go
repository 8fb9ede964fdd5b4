package prune

import (
	"bytes"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStripPE proves the PE stripper against Go's own linker: a Windows
// program linked twice from the same objects, once as the distribution
// links its tools and once with -s added, must differ by exactly what
// stripping does. Nothing here can run a Windows binary, so the proof is
// that the stripped file is, byte for byte, the one "go build
// -ldflags=-s" gives, a form Go builds and tests on Windows.
func TestStripPE(t *testing.T) {
	if testing.Short() {
		t.Skip("links Windows programs (-short)")
	}
	root := localGOROOT(t)
	goCmd := filepath.Join(root, "bin", "go")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module stripped\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(`package main

import (
	"fmt"
	"os"
	"strings"
)

func main() { fmt.Println(strings.ToUpper(os.Args[0])) }
`), 0o644)
	for _, arch := range []string{"amd64", "arm64"} {
		work := t.TempDir()
		cmd := exec.Command(goCmd, "build", "-x", "-work", "-trimpath", "-o", filepath.Join(work, "built.exe"), ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=", "GOTMPDIR="+work)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("windows/%s build: %v\n%s", arch, err, out)
		}
		wd := regexp.MustCompile(`(?m)^WORK=(.*)$`).FindSubmatch(out)
		link := regexp.MustCompile(`(?m)^.*/link -o .*$`).Find(out)
		if wd == nil || link == nil {
			t.Fatalf("windows/%s: no WORK= or link line in go build -x:\n%s", arch, out)
		}
		args := strings.Fields(strings.ReplaceAll(string(link), "$WORK", string(wd[1])))
		for len(args) > 0 && !strings.HasSuffix(args[0], "/link") {
			args = args[1:]
		}
		linkTool, args := args[0], args[1:]
		for _, dwarf := range []string{"-w", "-w=false"} {
			t.Run("windows-"+arch+dwarf, func(t *testing.T) {
				linkWith := func(name string, flags ...string) []byte {
					t.Helper()
					a := append([]string{}, args...)
					a[1] = filepath.Join(work, name) // -o
					a = append(a[:len(a)-1], append(flags, a[len(a)-1])...)
					c := exec.Command(linkTool, a...)
					c.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+arch)
					if out, err := c.CombinedOutput(); err != nil {
						t.Fatalf("link %v: %v\n%s", flags, err, out)
					}
					b, err := os.ReadFile(a[1])
					if err != nil {
						t.Fatal(err)
					}
					return b
				}
				full := linkWith("full.exe", dwarf)
				want := linkWith("stripped.exe", "-s", dwarf)
				fullPath := filepath.Join(work, "full.exe")
				n, err := strippedSize(fullPath)
				if err != nil {
					t.Fatal(err)
				}
				got, err := stripFile(fullPath)
				if err != nil || got == nil {
					t.Fatalf("stripFile(%s) = %v, %v; want a stripped file", fullPath, got == nil, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("stripped file (%d bytes) differs from the linker's -s output (%d bytes) at byte %d", len(got), len(want), firstDiff(got, want))
				}
				if n != int64(len(got)) {
					t.Errorf("strippedSize = %d, stripping gives %d bytes", n, len(got))
				}
				if len(got) >= len(full) {
					t.Errorf("stripped %d bytes, not less than %d", len(got), len(full))
				}
				f, err := pe.NewFile(bytes.NewReader(got))
				if err != nil {
					t.Fatalf("stripped file is not valid PE: %v", err)
				}
				if f.FileHeader.NumberOfSymbols != 0 || len(f.Symbols) != 0 {
					t.Errorf("stripped file still has %d symbols", f.FileHeader.NumberOfSymbols)
				}
				// Stripping twice leaves the file as it is: no symbols.
				os.WriteFile(filepath.Join(work, "again.exe"), got, 0o644)
				if again, err := stripFile(filepath.Join(work, "again.exe")); again != nil || err != nil {
					t.Errorf("stripping twice = %v, %v; want nil, nil", again != nil, err)
				}
			})
		}
	}
}

// TestStripPERefuses leaves alone what the stripper cannot rewrite as the
// linker would: a signed image, one with a checksum, one whose last
// section is not .symtab, and a truncated one.
func TestStripPERefuses(t *testing.T) {
	sdk := windowsGoExe(t)
	orig, err := os.ReadFile(sdk)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	peoff := int(orig[60]) | int(orig[61])<<8
	opt := peoff + 24
	lastSect := opt + int(f.FileHeader.SizeOfOptionalHeader) + (len(f.Sections)-1)*40
	f.Close()
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"signed", func(b []byte) []byte { b[opt+112+8*4+4] = 1; return b }},
		{"checksum", func(b []byte) []byte { b[opt+64] = 1; return b }},
		{"last section renamed", func(b []byte) []byte { copy(b[lastSect:], ".rsrc\x00\x00\x00"); return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-512] }},
		{"not PE", func(b []byte) []byte { b[peoff] = 'X'; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "go.exe")
			os.WriteFile(p, tc.edit(bytes.Clone(orig)), 0o644)
			if n, err := strippedSize(p); n != -1 || err != nil {
				t.Errorf("strippedSize = %d, %v; want -1, nil", n, err)
			}
			if b, err := stripFile(p); b != nil || err != nil {
				t.Errorf("stripFile = %v, %v; want nil, nil", b != nil, err)
			}
		})
	}
}

// windowsGoExe builds gofmt.exe for windows/amd64 with the local
// toolchain, linked as the distribution links its tools (symbols, no
// DWARF), and returns its path.
func windowsGoExe(t *testing.T) string {
	t.Helper()
	root := localGOROOT(t)
	p := filepath.Join(t.TempDir(), "gofmt.exe")
	cmd := exec.Command(filepath.Join(root, "bin", "go"), "build", "-trimpath", "-ldflags=-w", "-o", p, "cmd/gofmt")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building gofmt.exe: %v\n%s", err, out)
	}
	if n, err := strippedSize(p); n <= 0 || err != nil {
		t.Fatalf("strippedSize(gofmt.exe) = %d, %v; want a size", n, err)
	}
	return p
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
