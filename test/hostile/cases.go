package hostile

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
)

// Source is the kind of input a case is.
type Source string

// The sources.
const (
	// Tarball is a release archive named like go1.22.12.linux-amd64.tar.gz;
	// the spec is its path.
	Tarball Source = "tarball"
	// ModZip is a golang.org/toolchain module zip served by a fake module
	// proxy; the spec is the release ("1.22.12") and Write returns the zip.
	ModZip Source = "modzip"
	// OCI is an OCI image layout holding one linux/amd64 image with the
	// SDK in /usr/local/go; the spec is "oci:DIR".
	OCI Source = "oci"
)

// Case is one hostile input.
type Case struct {
	// Name is "source/what", such as "tarball/dotdot".
	Name   string
	Source Source
	// What says in words what is hostile about the input.
	What string
	// Want lists substrings of which the error must contain at least one:
	// the offending entry's name or what was wrong. Nil for a control case
	// that must be accepted.
	Want []string
	// MayNormalise is set when accepting the input is also correct,
	// provided the hostile property is gone from the result (setuid bits).
	MayNormalise bool
	// Normalised says what accepting it must have removed.
	Normalised string
	// NeedLimit is set when the case is refused only by a size limit; the
	// test sets Limit as the limit.
	NeedLimit bool
	// Write writes the input into dir. Escape is an absolute path outside
	// dir that the input tries to create; Victim is an existing file it
	// tries to overwrite. It returns the spec (file, "oci:DIR", or the zip
	// file for ModZip).
	Write func(dir string, t Targets) (string, error)
}

// Targets are the paths outside the extraction directory that a hostile
// input aims at. The test checks they are untouched.
type Targets struct {
	// Escape must not exist after the run.
	Escape string
	// Victim exists before the run with VictimContent and must keep it.
	Victim string
}

// VictimContent is what Targets.Victim holds.
const VictimContent = "the victim file must keep this content\n"

// Limit is the extraction size limit, in bytes, that the size-limit cases
// are run with; each bomb expands to BombSize.
const (
	Limit    = 8 << 20
	BombSize = 64 << 20
)

// up climbs far enough to reach / from any extraction directory.
var up = strings.Repeat("../", 40)

// TarballName is the release archive name for Release.
var TarballName = Release + "." + GOOS + "-" + GOARCH + ".tar.gz"

// ZipPrefix is the top directory of a toolchain module zip.
const ZipPrefix = ModulePath + "@" + ModuleVersion + "/"

// ImageGOROOT is where OCI cases put the SDK.
const ImageGOROOT = goroot.DefaultImagePath

var imagePrefix = strings.TrimPrefix(ImageGOROOT, "/") + "/"

// Cases returns every hostile input, and one control case per source
// first (an honest SDK that must be accepted, showing that refusals are
// due to the hostile entry and not to the fake SDK being unusable).
func Cases() []Case {
	var cs []Case
	cs = append(cs, tarballCases()...)
	cs = append(cs, zipCases()...)
	cs = append(cs, ociCases()...)
	return cs
}

// replace swaps the entry named name in es for e.
func replace(es []Entry, name string, e Entry) []Entry {
	out := make([]Entry, 0, len(es))
	for _, x := range es {
		if x.Name == name {
			x = e
		}
		out = append(out, x)
	}
	return out
}

func tarCase(name, what string, want []string, extra func(t Targets, base []Entry) []Entry) Case {
	return Case{
		Name: "tarball/" + name, Source: Tarball, What: what, Want: want,
		Write: func(dir string, t Targets) (string, error) {
			es := extra(t, sdkEntries("go/", Release))
			return writeTarball(dir, es)
		},
	}
}

func writeTarball(dir string, es []Entry) (string, error) {
	file := filepath.Join(dir, TarballName)
	if err := WriteTarGz(file, withDirs(es)); err != nil {
		return "", err
	}
	return file, nil
}

func tarballCases() []Case {
	return append(tarEscapeCases(), tarOddCases()...)
}

// tarEscapeCases are archives whose entries try to leave the tree: by
// name, through a symlink or through a hard link.
func tarEscapeCases() []Case {
	return []Case{
		tarCase("control", "an honest release archive", nil,
			func(_ Targets, b []Entry) []Entry { return b }),
		tarCase("dotdot", "an entry that climbs out with ../", []string{"../"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/" + up + t.Escape[1:], Mode: 0o644, Body: []byte("escaped\n")})
			}),
		tarCase("absolute", "an entry with an absolute path", []string{t0Escape},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: t.Escape, Mode: 0o644, Body: []byte("escaped\n")})
			}),
		tarCase("symlink-escape", "a symlink out of the tree, then a file written through it",
			[]string{"go/lib/up"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: "go/lib/up", Type: tar.TypeSymlink, Linkname: up + filepath.Dir(t.Escape)[1:]},
					Entry{Name: "go/lib/up/" + filepath.Base(t.Escape), Mode: 0o644, Body: []byte("escaped\n")})
			}),
		tarCase("symlink-absolute", "an absolute symlink, then a file written through it",
			[]string{"go/lib/up"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: "go/lib/up", Type: tar.TypeSymlink, Linkname: filepath.Dir(t.Escape)},
					Entry{Name: "go/lib/up/" + filepath.Base(t.Escape), Mode: 0o644, Body: []byte("escaped\n")})
			}),
		tarCase("hardlink-escape", "a hard link to a file outside the tree, then a write to it",
			[]string{"go/lib/victim"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: "go/lib/victim", Type: tar.TypeLink, Linkname: t.Victim},
					Entry{Name: "go/lib/victim", Mode: 0o644, Body: []byte("overwritten\n")})
			}),
		tarCase("hardlink-dotdot", "a hard link whose target climbs out with ../",
			[]string{"go/lib/victim"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/lib/victim", Type: tar.TypeLink, Linkname: "go/" + up + t.Victim[1:]})
			}),
		tarCase("symlink-loop", "two symlinks pointing at each other, then a file below them",
			[]string{"go/lib/a", "go/lib/b"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: "go/lib/a", Type: tar.TypeSymlink, Linkname: "b"},
					Entry{Name: "go/lib/b", Type: tar.TypeSymlink, Linkname: "a"},
					Entry{Name: "go/lib/a/x", Mode: 0o644, Body: []byte("x\n")})
			}),
	}
}

// tarOddCases are archives with entries the tree must not keep (devices,
// fifos, setuid bits, bombs) or that lie about what they are.
func tarOddCases() []Case {
	tool := "go/pkg/tool/" + GOOS + "_" + GOARCH
	return []Case{
		tarCase("duplicate", "the same file twice with different contents",
			[]string{"go/src/fmt/print.go"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/src/fmt/print.go", Mode: 0o644, Body: []byte("package fmt // evil twin\n")})
			}),
		tarCase("char-device", "a character device", []string{"go/lib/tty"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/lib/tty", Type: tar.TypeChar, Mode: 0o666, Major: 5, Minor: 0})
			}),
		tarCase("block-device", "a block device", []string{"go/lib/sda"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/lib/sda", Type: tar.TypeBlock, Mode: 0o660, Major: 8, Minor: 0})
			}),
		tarCase("fifo", "a named pipe", []string{"go/lib/fifo"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "go/lib/fifo", Type: tar.TypeFifo, Mode: 0o644})
			}),
		{
			Name: "tarball/setuid", Source: Tarball, What: "a setuid root go binary",
			Want: []string{"go/bin/go"}, MayNormalise: true, Normalised: "no setuid or setgid bit in the tree",
			Write: func(dir string, t Targets) (string, error) {
				es := sdkEntries("go/", Release)
				es = replace(es, "go/bin/go", Entry{Name: "go/bin/go", Mode: 0o4755, Body: []byte("#!/bin/sh\n")})
				return writeTarball(dir, es)
			},
		},
		{
			Name: "tarball/bomb", Source: Tarball, What: fmt.Sprintf("a %d MiB file of zeros, past the %d MiB limit", BombSize>>20, Limit>>20),
			Want: []string{"go/lib/bomb", "limit"}, NeedLimit: true,
			Write: func(dir string, t Targets) (string, error) {
				es := append(sdkEntries("go/", Release), Entry{Name: "go/lib/bomb", Mode: 0o644, Size: BombSize})
				return writeTarball(dir, es)
			},
		},
		{
			Name: "tarball/sparse-bomb", Source: Tarball,
			What: fmt.Sprintf("a PAX sparse entry: 3 KiB of archive claiming 1 PiB of zeros, past the %d MiB limit", Limit>>20),
			Want: []string{"go/lib/sparse", "limit"}, NeedLimit: true,
			Write: func(dir string, t Targets) (string, error) {
				es := append(sdkEntries("go/", Release), Entry{Raw: SparseBomb("go/lib/sparse", 1<<50)})
				return writeTarball(dir, es)
			},
		},
		{
			Name: "tarball/version-lie", Source: Tarball, What: "VERSION says go1.23.0 in an archive named " + Release,
			Want: []string{"go1.23.0"},
			Write: func(dir string, t Targets) (string, error) {
				return writeTarball(dir, sdkEntries("go/", "go1.23.0"))
			},
		},
		{
			Name: "tarball/platform-lie", Source: Tarball, What: "tools for linux/arm64 in an archive named linux-amd64",
			Want: []string{"arm64"},
			Write: func(dir string, t Targets) (string, error) {
				var es []Entry
				for _, e := range sdkEntries("go/", Release) {
					e.Name = strings.Replace(e.Name, tool, "go/pkg/tool/linux_arm64", 1)
					es = append(es, e)
				}
				return writeTarball(dir, es)
			},
		},
	}
}

// t0Escape is the part of every Escape path that an error naming an
// absolute entry is sure to contain.
const t0Escape = "hostile-escape"

// EscapeName is the base name of Targets.Escape.
const EscapeName = t0Escape

func zipCase(name, what string, want []string, needLimit bool, build func(t Targets, base []Entry) ([]byte, error)) Case {
	return Case{
		Name: "modzip/" + name, Source: ModZip, What: what, Want: want, NeedLimit: needLimit,
		Write: func(dir string, t Targets) (string, error) {
			z, err := build(t, sdkEntries(ZipPrefix, Release))
			if err != nil {
				return "", err
			}
			return writeFile(dir, ModuleVersion+".zip", z)
		},
	}
}

func zipCases() []Case {
	plain := func(extra func(t Targets, b []Entry) []Entry) func(Targets, []Entry) ([]byte, error) {
		return func(t Targets, b []Entry) ([]byte, error) { return ZipBytes(extra(t, b)) }
	}
	return []Case{
		zipCase("control", "an honest toolchain module zip", nil, false,
			plain(func(_ Targets, b []Entry) []Entry { return b })),
		zipCase("dotdot", "an entry that climbs out with ../", []string{"../"}, false,
			plain(func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: ZipPrefix + up + t.Escape[1:], Mode: 0o644, Body: []byte("escaped\n")})
			})),
		zipCase("absolute", "an entry with an absolute path", []string{t0Escape}, false,
			plain(func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: t.Escape, Mode: 0o644, Body: []byte("escaped\n")})
			})),
		zipCase("outside-prefix", "an entry outside the module's directory", []string{"evil/x"}, false,
			plain(func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: "evil/x", Mode: 0o644, Body: []byte("x\n")})
			})),
		{
			Name: "modzip/symlink", Source: ModZip, What: "an entry with symlink mode bits, pointing at /",
			Want: []string{ZipPrefix + "lib/up"}, MayNormalise: true,
			Normalised: "module zips carry no modes: the entry is a plain file, no symlink in the tree",
			Write: func(dir string, t Targets) (string, error) {
				z, err := ZipBytes(append(sdkEntries(ZipPrefix, Release), Entry{Name: ZipPrefix + "lib/up", Type: tar.TypeSymlink, Linkname: "/"}))
				if err != nil {
					return "", err
				}
				return writeFile(dir, ModuleVersion+".zip", z)
			},
		},
		zipCase("duplicate", "the same file twice with different contents", []string{ZipPrefix + "src/fmt/print.go"}, false,
			plain(func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: ZipPrefix + "src/fmt/print.go", Mode: 0o644, Body: []byte("package fmt // evil twin\n")})
			})),
		zipCase("central-local-mismatch", "a member whose local header names ../ while the central directory names a source file",
			[]string{ZipPrefix + "src/fmt/scan.go"}, false,
			func(t Targets, b []Entry) ([]byte, error) {
				central := ZipPrefix + "src/fmt/scan.go"
				z, err := ZipBytes(append(b, Entry{Name: central, Mode: 0o644, Body: []byte("package fmt\n")}))
				if err != nil {
					return nil, err
				}
				local := ZipPrefix + "src/../../scan"
				local += strings.Repeat("x", len(central)-len(local))
				return RenameLocal(z, central, local)
			}),
		zipCase("bomb", fmt.Sprintf("a %d MiB file of zeros, past the %d MiB limit", BombSize>>20, Limit>>20),
			[]string{ZipPrefix + "lib/bomb", "limit"}, true,
			plain(func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: ZipPrefix + "lib/bomb", Mode: 0o644, Size: BombSize})
			})),
		{
			Name: "modzip/version-lie", Source: ModZip, What: "VERSION says go1.23.0 in the module for " + Release,
			Want: []string{"go1.23.0"},
			Write: func(dir string, t Targets) (string, error) {
				z, err := ZipBytes(sdkEntries(ZipPrefix, "go1.23.0"))
				if err != nil {
					return "", err
				}
				return writeFile(dir, ModuleVersion+".zip", z)
			},
		},
	}
}

// WriteVictim creates t.Victim with VictimContent.
func WriteVictim(t Targets) error {
	return os.WriteFile(t.Victim, []byte(VictimContent), 0o644)
}
