package prune

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gorootimg/gorootimg/recipes"
)

// Target is the SDK a recipe is resolved against.
type Target struct {
	GOROOT       string // the SDK tree on disk
	Version      string // "go1.22.12"; read from GOROOT/VERSION when empty
	GOOS, GOARCH string // the SDK's platform; required
}

// Plan is a recipe resolved against a target: which files stay and why.
type Plan struct {
	Target Target
	Recipe *recipes.Recipe
	// All is the complete scan of the SDK; Kept and Dropped partition it
	// (directories are in Kept only where they hold kept files). A file the
	// recipe strips is in Kept with its stripped size.
	All, Kept, Dropped FileSet
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

// Resolve computes the plan of recipe r for target t. It changes nothing on
// disk. Each rule whose version condition holds is applied in order; for
// each file the last rule that selects it decides, and a file no rule
// selects is dropped. Then, if the recipe prunes platforms, kept source
// files that no build tags can select for t.GOOS/t.GOARCH are dropped; if
// it strips, kept ELF binaries below bin/ and pkg/tool/ are marked for
// stripping.
func Resolve(ctx context.Context, t Target, r *recipes.Recipe) (*Plan, error) {
	if t.GOOS == "" || t.GOARCH == "" {
		return nil, fmt.Errorf("resolving recipe %s: target GOOS/GOARCH not set", r.Name)
	}
	if t.Version == "" {
		v, err := readVersionLine(filepath.Join(t.GOROOT, "VERSION"))
		if err != nil {
			return nil, err
		}
		t.Version = v
	}
	all, err := Scan(t.GOROOT)
	if err != nil {
		return nil, err
	}
	files := all.Regular()
	keep := make(map[string]bool, len(files))
	why := make(map[string]string, len(files))
	for _, f := range files {
		why[f.Name] = "dropped: no rule selects it"
	}
	plat := platform{}
	if r.PrunesPlatform() {
		plat = platform{goos: t.GOOS, goarch: t.GOARCH}
	}
	cl := newClosure(t.GOROOT, plat)
	for i := range r.Rules {
		rule := &r.Rules[i]
		ok, err := rule.When.Match(t.Version)
		if err != nil {
			return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
		}
		if !ok {
			continue
		}
		mark := func(name string, k bool) {
			keep[name] = k
			verb := "kept"
			if !k {
				verb = "dropped"
			}
			why[name] = verb + " by " + rule.String()
		}
		switch rule.Kind() {
		case "include", "exclude":
			globs := rule.Include
			if rule.Kind() == "exclude" {
				globs = rule.Exclude
			}
			for _, f := range files {
				for _, g := range globs {
					if g.Match(f.Name) {
						mark(f.Name, rule.Kind() == "include")
						break
					}
				}
			}
		case "tools":
			dir := "pkg/tool/" + t.GOOS + "_" + t.GOARCH + "/"
			for _, tool := range rule.Tools {
				for _, n := range []string{dir + tool, dir + tool + ".exe"} {
					if _, ok := files.Lookup(n); ok {
						mark(n, true)
					}
				}
			}
		case "packages":
			names, err := cl.files(ctx, rule.Packages)
			if err != nil {
				return nil, fmt.Errorf("resolving recipe %s: rule %s: %w", r.Name, rule, err)
			}
			for _, n := range names {
				if _, ok := files.Lookup(n); ok {
					mark(n, true)
				}
			}
		}
	}
	if r.PrunesPlatform() {
		for _, f := range files {
			if !strings.HasPrefix(f.Name, "src/") || !sourceExts[path.Ext(f.Name)] {
				continue
			}
			if !keep[f.Name] && !strings.HasPrefix(why[f.Name], "dropped: no rule") {
				continue
			}
			ok, line, err := plat.selectable(f.Name, f.Src)
			if err != nil {
				return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
			}
			if !ok {
				keep[f.Name] = false
				why[f.Name] = fmt.Sprintf("dropped by platform-prune: no build tags select it for %s/%s (%s)", t.GOOS, t.GOARCH, line)
			}
		}
	}
	p := &Plan{Target: t, Recipe: r, All: all, Stripped: map[string]int64{}, why: why}
	var kept FileSet
	for _, f := range files {
		if !keep[f.Name] {
			p.Dropped = append(p.Dropped, f)
			continue
		}
		if r.Strips() && (strings.HasPrefix(f.Name, "bin/") || strings.HasPrefix(f.Name, "pkg/tool/")) && f.Mode.IsRegular() {
			n, err := strippedSize(f.Src)
			if err != nil {
				return nil, fmt.Errorf("resolving recipe %s: %w", r.Name, err)
			}
			if n >= 0 {
				p.Stripped[f.Name] = f.Size
				why[f.Name] += fmt.Sprintf("; symbol table stripped (%d -> %d bytes)", f.Size, n)
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

func readVersionLine(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("reading Go SDK version: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return "", fmt.Errorf("reading %s: empty file", file)
	}
	return strings.TrimSpace(sc.Text()), nil
}
