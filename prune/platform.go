package prune

import (
	"bufio"
	"bytes"
	"go/build/constraint"
	"os"
	"path"
	"strings"
)

// The operating systems and architectures the go command knows, as in
// go/build's syslist. A file name suffix or build tag naming one of these is
// fixed once the target platform is; every other tag stays free.
var (
	knownOS = set("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
		"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")
	unixOS = set("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios",
		"linux", "netbsd", "openbsd", "solaris")
	knownArch = set("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64",
		"mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
		"riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")
)

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

// sourceExts are the file kinds whose build constraints and name suffixes
// the go command honours (go/build's list, plus .syso which it links).
var sourceExts = set(".go", ".c", ".cc", ".cxx", ".cpp", ".m", ".h", ".hh", ".hpp", ".hxx",
	".f", ".F", ".for", ".f90", ".s", ".S", ".sx", ".swig", ".swigcxx", ".syso")

// platform is the target of platform pruning. The zero value is "any
// platform": every file name and every tag is possible.
type platform struct {
	goos, goarch string
}

func (p platform) any() bool { return p.goos == "" }

// fixed reports whether tag's value is decided by the platform alone, and
// that value. gc is always true and gccgo false (the SDK is gc's); "ignore"
// is always false (std uses it for generator programs). Every other tag
// (cgo, race, purego, netgo, goexperiment.*, go1.N, amd64.v3, ...) is free.
func (p platform) fixed(tag string) (value, ok bool) {
	switch tag {
	case "gc":
		return true, true
	case "gccgo", "ignore":
		return false, true
	}
	if p.any() {
		return false, false
	}
	switch {
	case tag == "unix":
		return unixOS[p.goos], true
	case knownOS[tag]:
		return tag == p.goos ||
			tag == "linux" && p.goos == "android" ||
			tag == "solaris" && p.goos == "illumos" ||
			tag == "darwin" && p.goos == "ios", true
	case knownArch[tag]:
		return tag == p.goarch, true
	}
	return false, false
}

// nameOK reports whether a file name's _GOOS, _GOARCH or _GOOS_GOARCH
// suffix allows the platform (go/build's goodOSArchFile).
func (p platform) nameOK(name string) bool {
	if p.any() {
		return true
	}
	name, _, _ = strings.Cut(name, ".")
	i := strings.Index(name, "_")
	if i < 0 {
		return true
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	match := func(tag string) bool { v, _ := p.fixed(tag); return v }
	if n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]] {
		return match(l[n-2]) && match(l[n-1])
	}
	if n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]]) {
		return match(l[n-1])
	}
	return true
}

// maxFree bounds the brute-force search; an expression with more free tags
// than this is assumed satisfiable (keeping the file is always safe).
const maxFree = 16

// satisfiable reports whether some assignment of the free tags makes x true
// with the platform's tags fixed.
func (p platform) satisfiable(x constraint.Expr) bool {
	var free []string
	seen := map[string]bool{}
	var collect func(constraint.Expr)
	collect = func(x constraint.Expr) {
		switch x := x.(type) {
		case *constraint.TagExpr:
			if _, ok := p.fixed(x.Tag); !ok && !seen[x.Tag] {
				seen[x.Tag] = true
				free = append(free, x.Tag)
			}
		case *constraint.NotExpr:
			collect(x.X)
		case *constraint.AndExpr:
			collect(x.X)
			collect(x.Y)
		case *constraint.OrExpr:
			collect(x.X)
			collect(x.Y)
		}
	}
	collect(x)
	if len(free) > maxFree {
		return true
	}
	for bits := 0; bits < 1<<len(free); bits++ {
		ok := x.Eval(func(tag string) bool {
			if v, ok := p.fixed(tag); ok {
				return v
			}
			for i, f := range free {
				if f == tag {
					return bits&(1<<i) != 0
				}
			}
			return false
		})
		if ok {
			return true
		}
	}
	return false
}

// selectable reports whether the source file at abs (named name) can be
// part of a build for the platform under some combination of free tags.
// The second result is the constraint that excluded it, for --why.
func (p platform) selectable(name, abs string) (bool, string, error) {
	base := path.Base(name)
	if !p.nameOK(base) {
		return false, "file name suffix", nil
	}
	ext := path.Ext(base)
	if ext == ".syso" || !sourceExts[ext] {
		return true, "", nil
	}
	x, line, err := readConstraint(abs)
	if err != nil || x == nil {
		return true, "", err
	}
	if !p.satisfiable(x) {
		return false, line, nil
	}
	return true, "", nil
}

// readConstraint returns the //go:build (or, lacking one, // +build)
// constraint in the leading comments of a source file.
func readConstraint(abs string) (constraint.Expr, string, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var plus []string
	inBlock := false
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if inBlock {
			if i := bytes.Index(line, []byte("*/")); i >= 0 {
				inBlock = false
				if rest := bytes.TrimSpace(line[i+2:]); len(rest) > 0 {
					break
				}
			}
			continue
		}
		switch {
		case len(line) == 0:
			continue
		case bytes.HasPrefix(line, []byte("/*")):
			if !bytes.Contains(line[2:], []byte("*/")) {
				inBlock = true
			}
			continue
		case !bytes.HasPrefix(line, []byte("//")):
		default:
			s := string(line)
			if constraint.IsGoBuild(s) {
				x, err := constraint.Parse(s)
				if err != nil {
					return nil, "", nil // the go command would reject it too; keep the file
				}
				return x, s, nil
			}
			if constraint.IsPlusBuild(s) {
				plus = append(plus, s)
			}
			continue
		}
		break
	}
	if len(plus) == 0 {
		return nil, "", sc.Err()
	}
	var x constraint.Expr
	for _, s := range plus {
		y, err := constraint.Parse(s)
		if err != nil {
			return nil, "", nil
		}
		if x == nil {
			x = y
		} else {
			x = &constraint.AndExpr{X: x, Y: y}
		}
	}
	return x, strings.Join(plus, "; "), sc.Err()
}
