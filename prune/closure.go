package prune

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// closure computes package closures over an SDK's own sources: the
// non-test source files of some packages and of everything they import,
// for any build tags (cgo on and off, race, purego, ...) and, unless the
// platform is "any", only the files the platform can select.
type closure struct {
	goroot string // the SDK
	plat   platform
	pkgs   map[string]*pkgInfo // by directory below src, "fmt", "cmd/covdata"
}

type pkgInfo struct {
	files   []string // GOROOT-relative names of the files the package needs
	imports []string // directories below src of the packages it imports
}

func newClosure(goroot string, plat platform) *closure {
	return &closure{goroot: goroot, plat: plat, pkgs: map[string]*pkgInfo{}}
}

// files returns the GOROOT-relative names of every file the packages
// matching patterns need, sorted.
func (c *closure) files(ctx context.Context, patterns []string) ([]string, error) {
	var roots []string
	for _, p := range patterns {
		dirs, err := c.expand(p)
		if err != nil {
			return nil, err
		}
		if len(dirs) == 0 {
			return nil, fmt.Errorf("package pattern %q matches no package in %s", p, c.goroot)
		}
		roots = append(roots, dirs...)
	}
	seen := map[string]bool{}
	out := map[string]bool{}
	var visit func(dir string) error
	visit = func(dir string) error {
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		pi, err := c.load(dir)
		if err != nil {
			return err
		}
		for _, f := range pi.files {
			out[f] = true
		}
		for _, imp := range pi.imports {
			if err := visit(imp); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// expand turns a pattern into package directories below src: "std" (every
// standard package, vendored ones included), "cmd" (every command package),
// "dir/..." (packages at and below dir) or one import path.
func (c *closure) expand(pattern string) ([]string, error) {
	var root string
	var skipCmd bool
	switch {
	case pattern == "std":
		root, skipCmd = "", true
	case pattern == "cmd":
		root = "cmd"
	case strings.HasSuffix(pattern, "/..."):
		root = strings.TrimSuffix(pattern, "/...")
	default:
		pi, err := c.load(pattern)
		if err != nil {
			return nil, err
		}
		if len(pi.files) == 0 {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	var dirs []string
	src := filepath.Join(c.goroot, "src")
	start := filepath.Join(src, filepath.FromSlash(root))
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if p != start && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) ||
			skipCmd && rel == "cmd" {
			return filepath.SkipDir
		}
		if rel == "." {
			return nil
		}
		pi, err := c.load(rel)
		if err != nil {
			return err
		}
		if pi.hasGo() {
			dirs = append(dirs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing packages %q: %w", pattern, err)
	}
	return dirs, nil
}

func (pi *pkgInfo) hasGo() bool {
	return slices.ContainsFunc(pi.files, func(f string) bool { return strings.HasSuffix(f, ".go") })
}

// load reads one package directory (relative to src). A missing directory
// is an empty package: the go command would report the import, not us.
func (c *closure) load(dir string) (*pkgInfo, error) {
	if pi, ok := c.pkgs[dir]; ok {
		return pi, nil
	}
	pi := &pkgInfo{}
	c.pkgs[dir] = pi
	abs := filepath.Join(c.goroot, "src", filepath.FromSlash(dir))
	ents, err := os.ReadDir(abs)
	if err != nil {
		if os.IsNotExist(err) {
			return pi, nil
		}
		return nil, fmt.Errorf("reading package %s: %w", dir, err)
	}
	imports := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") ||
			strings.HasSuffix(name, "_test.go") || !sourceExts[path.Ext(name)] {
			continue
		}
		rel := path.Join("src", dir, name)
		fabs := filepath.Join(abs, name)
		ok, _, err := c.plat.selectable(rel, fabs)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", rel, err)
		}
		if !ok {
			continue
		}
		pi.files = append(pi.files, rel)
		if !strings.HasSuffix(name, ".go") {
			incs, err := c.includedFiles(dir, rel, fabs)
			if err != nil {
				return nil, err
			}
			pi.files = append(pi.files, incs...)
			continue
		}
		if err := pi.addGo(imports, dir, abs, rel, fabs); err != nil {
			return nil, err
		}
	}
	delete(imports, dir)
	for imp := range imports {
		pi.imports = append(pi.imports, imp)
	}
	slices.Sort(pi.imports)
	return pi, nil
}

// includedFiles lists the files of the GOROOT that the assembly or C file rel
// (at fabs, in package dir) #includes; a .syso includes nothing.
func (c *closure) includedFiles(dir, rel, fabs string) ([]string, error) {
	if strings.HasSuffix(rel, "o") { // .syso
		return nil, nil
	}
	incs, err := includes(fabs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, inc := range incs {
		// runtime's assembly includes "cgo/abi_amd64.h" from
		// runtime/cgo, relative to the package directory.
		p := path.Join("src", dir, inc)
		if strings.HasPrefix(p, "src/") && p != rel {
			if _, err := os.Stat(filepath.Join(c.goroot, filepath.FromSlash(p))); err == nil {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// addGo adds what the Go file rel (at fabs, in package dir at abs) needs:
// its imports to imports and its embedded files to pi.files.
func (pi *pkgInfo) addGo(imports map[string]bool, dir, abs, rel, fabs string) error {
	imps, embeds, err := scanGo(fabs)
	if err != nil {
		return err
	}
	for _, imp := range imps {
		if imp == "C" {
			// cgo adds these imports to the packages it generates.
			for _, i := range []string{"runtime/cgo", "syscall", "unsafe"} {
				imports[i] = true
			}
			continue
		}
		imports[importDir(dir, imp)] = true
	}
	for _, pat := range embeds {
		files, err := embedFiles(abs, pat)
		if err != nil {
			return fmt.Errorf("%s: //go:embed %s: %w", rel, pat, err)
		}
		for _, f := range files {
			pi.files = append(pi.files, path.Join("src", dir, f))
		}
	}
	return nil
}

// importDir maps an import path, as written in the package at dir, to its
// directory below src: third-party paths (with a dot in the first element)
// are vendored in src/vendor for std and src/cmd/vendor for commands.
func importDir(dir, imp string) string {
	first, _, _ := strings.Cut(imp, "/")
	if !strings.Contains(first, ".") {
		return imp
	}
	if dir == "cmd" || strings.HasPrefix(dir, "cmd/") {
		return "cmd/vendor/" + imp
	}
	return "vendor/" + imp
}

// scanGo returns a Go file's imports and the patterns of its //go:embed
// directives.
func scanGo(abs string) (imports, embeds []string, err error) {
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, nil, err
	}
	f, err := parser.ParseFile(token.NewFileSet(), abs, src, parser.ImportsOnly)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing imports: %w", err)
	}
	for _, is := range f.Imports {
		p, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: bad import %s", abs, is.Path.Value)
		}
		imports = append(imports, p)
	}
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "//go:embed")
		if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			continue
		}
		pats, err := splitEmbed(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", abs, err)
		}
		embeds = append(embeds, pats...)
	}
	return imports, embeds, nil
}

// splitEmbed splits a //go:embed argument list; patterns may be quoted.
func splitEmbed(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' || s[0] == '`' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("bad //go:embed pattern %s", s)
			}
			p, _ := strconv.Unquote(q)
			out = append(out, p)
			s = s[len(q):]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out, nil
}

// embedFiles returns the files (relative to dir) a //go:embed pattern
// names; a directory contributes every file below it.
func embedFiles(dir, pattern string) ([]string, error) {
	pattern = strings.TrimPrefix(pattern, "all:")
	matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// includes returns the quoted #include paths of a C or assembly file.
func includes(abs string) ([]string, error) {
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#include")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if len(rest) > 2 && rest[0] == '"' {
			if i := strings.IndexByte(rest[1:], '"'); i > 0 {
				out = append(out, rest[1:1+i])
			}
		}
	}
	return out, nil
}
