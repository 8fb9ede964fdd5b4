package prune

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/recipes"
)

// Plan is a recipe resolved against a GOROOT: which files stay and why.
type Plan struct {
	// Target is the tree the recipe was resolved against, with its
	// Version read from VERSION when it was not given.
	Target goroot.Tree
	// Recipe is the recipe; nil for the whole, unpruned tree.
	Recipe *recipes.Recipe
	// All is the complete scan of the SDK; Kept and Dropped partition it
	// (directories are in Kept only where they hold kept files). A file the
	// recipe strips is in Kept with its stripped size.
	All, Kept, Dropped goroot.FileSet
	// Stripped maps the names of the files Apply strips to their size in
	// the SDK.
	Stripped map[string]int64
	why      map[string]string
}

// Why names the rule that kept or dropped name ("" if name is not in the
// SDK).
func (p *Plan) Why(name string) string {
	name = strings.Trim(path.Clean(filepath.ToSlash(name)), "/")
	if w, ok := p.why[name]; ok {
		return w
	}
	if f, ok := p.All.Lookup(name); ok && f.IsDir() {
		if _, kept := p.Kept.Lookup(name); kept {
			return "kept: holds kept files"
		}
		return "dropped: holds no kept files"
	}
	return ""
}

// Resolve computes the plan of recipe r for the GOROOT t. It changes
// nothing on disk. Each rule whose version condition holds is applied in
// order; for each file the last rule that selects it decides, and a file
// no rule selects is dropped. Then, if the recipe prunes platforms, kept
// source files that no build tags can select for t.GOOS/t.GOARCH are
// dropped; if it strips, kept ELF and PE binaries below bin/ and pkg/tool/ are
// marked for stripping. t.Version is read from VERSION when empty.
func Resolve(ctx context.Context, t goroot.Tree, r *recipes.Recipe) (*Plan, error) {
	if t.GOOS == "" || t.GOARCH == "" {
		return nil, fmt.Errorf("resolving recipe %s: target GOOS/GOARCH not set", r.Name)
	}
	if t.Version == "" {
		v, _, err := goroot.ReadVersion(t.Dir)
		if err != nil {
			return nil, err
		}
		t.Version = v
	}
	all, err := goroot.Scan(t.Dir)
	if err != nil {
		return nil, err
	}
	s := newSelection(t, r, all.Regular())
	for i := range r.Rules {
		if err := s.apply(ctx, &r.Rules[i]); err != nil {
			return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
		}
	}
	if r.PrunesPlatform() {
		if err := s.prunePlatform(); err != nil {
			return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
		}
	}
	p, err := s.plan(all)
	if err != nil {
		return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
	}
	return p, nil
}

// selection is the state of Resolve: for each regular file of the tree,
// whether it is kept and the rule that said so.
type selection struct {
	t     goroot.Tree
	r     *recipes.Recipe
	files goroot.FileSet // the regular files and symlinks
	keep  map[string]bool
	why   map[string]string
	plat  platform
	cl    *closure
}

func newSelection(t goroot.Tree, r *recipes.Recipe, files goroot.FileSet) *selection {
	s := &selection{t: t, r: r, files: files,
		keep: make(map[string]bool, len(files)), why: make(map[string]string, len(files))}
	for _, f := range files {
		s.why[f.Name] = "dropped: no rule selects it"
	}
	if r.PrunesPlatform() {
		s.plat = platform{goos: t.GOOS, goarch: t.GOARCH}
	}
	s.cl = newClosure(t.Dir, s.plat)
	return s
}

// apply marks the files rule selects, if its version condition holds.
func (s *selection) apply(ctx context.Context, rule *recipes.Rule) error {
	ok, err := rule.When.Match(s.t.Version)
	if err != nil || !ok {
		return err
	}
	mark := func(name string, k bool) {
		s.keep[name] = k
		verb := "kept"
		if !k {
			verb = "dropped"
		}
		s.why[name] = verb + " by " + rule.String()
	}
	switch rule.Kind() {
	case "include", "exclude":
		globs := rule.Include
		if rule.Kind() == "exclude" {
			globs = rule.Exclude
		}
		here := platform{goos: s.t.GOOS, goarch: s.t.GOARCH}
		for _, f := range s.files {
			if !slices.ContainsFunc(globs, func(g recipes.Glob) bool { return g.Match(f.Name) || g.Match(commandName(f.Name)) }) {
				continue
			}
			if rule.OtherPlatforms {
				ok, _, err := here.selectable(f.Name, f.Src)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
			}
			mark(f.Name, rule.Kind() == "include")
		}
	case "tools":
		dir := "pkg/tool/" + s.t.GOOS + "_" + s.t.GOARCH + "/"
		for _, tool := range rule.Tools {
			for _, n := range []string{dir + tool, dir + tool + ".exe"} {
				if _, ok := s.files.Lookup(n); ok {
					mark(n, true)
				}
			}
		}
	case "packages":
		names, err := s.cl.files(ctx, rule.Packages)
		if err != nil {
			return fmt.Errorf("rule %s: %w", rule, err)
		}
		for _, n := range names {
			if _, ok := s.files.Lookup(n); ok {
				mark(n, true)
			}
		}
	}
	return nil
}

// prunePlatform drops the kept (or not yet selected) source files that no
// build tags can select for the tree's platform.
func (s *selection) prunePlatform() error {
	for _, f := range s.files {
		if !strings.HasPrefix(f.Name, "src/") || !sourceExts[path.Ext(f.Name)] {
			continue
		}
		if !s.keep[f.Name] && !strings.HasPrefix(s.why[f.Name], "dropped: no rule") {
			continue
		}
		ok, line, err := s.plat.selectable(f.Name, f.Src)
		if err != nil {
			return err
		}
		if !ok {
			s.keep[f.Name] = false
			s.why[f.Name] = fmt.Sprintf("dropped by platform-prune: no build tags select it for %s/%s (%s)", s.t.GOOS, s.t.GOARCH, line)
		}
	}
	return nil
}

// plan partitions all into kept and dropped files, sizing the binaries
// the recipe strips.
func (s *selection) plan(all goroot.FileSet) (*Plan, error) {
	p := &Plan{Target: s.t, Recipe: s.r, All: all, Stripped: map[string]int64{}, why: s.why}
	var kept goroot.FileSet
	for _, f := range s.files {
		if !s.keep[f.Name] {
			p.Dropped = append(p.Dropped, f)
			continue
		}
		if s.r.Strips() && (strings.HasPrefix(f.Name, "bin/") || strings.HasPrefix(f.Name, "pkg/tool/")) && f.Mode.IsRegular() {
			n, err := strippedSize(f.Src)
			if err != nil {
				return nil, err
			}
			if n >= 0 {
				p.Stripped[f.Name] = f.Size
				s.why[f.Name] += fmt.Sprintf("; symbol table stripped (%d -> %d bytes)", f.Size, n)
				f.Size = n
			}
		}
		kept = append(kept, f)
	}
	p.Kept = kept.WithParents(all)
	for _, f := range all {
		if f.IsDir() {
			if _, ok := p.Kept.Lookup(f.Name); !ok {
				p.Dropped = append(p.Dropped, f)
			}
		}
	}
	p.Dropped.Sort()
	return p, nil
}

// commandName is name without the ".exe" of a Windows command (bin/go.exe,
// pkg/tool/windows_amd64/vet.exe), so that a recipe's bin/go names the go
// command of every platform; any other name comes back unchanged (and a
// rule then matches it twice at no cost).
func commandName(name string) string {
	if strings.HasSuffix(name, ".exe") && (strings.HasPrefix(name, "bin/") || strings.HasPrefix(name, "pkg/tool/")) {
		return strings.TrimSuffix(name, ".exe")
	}
	return name
}
