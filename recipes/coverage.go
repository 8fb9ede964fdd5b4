package recipes

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// GiveUp declares inventory entries a recipe drops on purpose, and what a
// user of its images cannot do for want of them.
type GiveUp struct {
	// Required: Entries are inventory entry IDs or path.Match patterns on
	// them ("tool/dist", "file/lib/wasm/*").
	Entries []string `yaml:"entries" json:"entries"`
	// Required: Capability says what the recipe gives up ("go fix").
	Capability string `yaml:"capability" json:"capability"`
	// Optional: When restricts the declaration to some Go releases.
	When Condition `yaml:"when,omitempty" json:"when,omitempty"`
}

// Coverage states of an inventory entry.
const (
	// Kept: the recipe keeps every file the entry needs.
	Kept = "kept"
	// Dropped: the recipe drops the entry and declares what it gives up.
	Dropped = "dropped"
	// Undeclared: the recipe drops the entry without saying so, a broken
	// promise that TestCoverage reports.
	Undeclared = "undeclared"
	// Absent: the SDK as served does not contain the entry.
	Absent = "absent"
)

// EntryCoverage is what a recipe does with one inventory entry.
type EntryCoverage struct {
	// ID is the inventory entry's ID.
	ID string `json:"id"`
	// Status is Kept, Dropped, Undeclared or Absent.
	Status string `json:"status"`
	// Capability is what the recipe gives up, for a dropped entry.
	Capability string `json:"capability,omitempty"`
}

// Coverage is a recipe's coverage of one release line's inventory.
type Coverage struct {
	// Recipe is the recipe's name.
	Recipe string `json:"recipe"`
	// Release is the inventory's release ("go1.26.11").
	Release string `json:"release"`
	// Entries follow the inventory's order.
	Entries []EntryCoverage `json:"entries"`
	// Stale lists declarations that drop nothing on this release: the
	// recipe keeps every entry they name.
	Stale []string `json:"stale,omitempty"`
}

// Count returns how many entries have this status.
func (c *Coverage) Count(status string) int {
	n := 0
	for _, e := range c.Entries {
		if e.Status == status {
			n++
		}
	}
	return n
}

// GivenUp lists the capabilities the recipe gives up on this release,
// each with the entries it drops for it, in declaration order.
func (c *Coverage) GivenUp() []GivenUp {
	var out []GivenUp
	for _, e := range c.Entries {
		if e.Status != Dropped {
			continue
		}
		i := slices.IndexFunc(out, func(g GivenUp) bool { return g.Capability == e.Capability })
		if i < 0 {
			out = append(out, GivenUp{Capability: e.Capability})
			i = len(out) - 1
		}
		out[i].Entries = append(out[i].Entries, e.ID)
	}
	return out
}

// GivenUp is one capability a recipe gives up and the entries it drops.
type GivenUp struct {
	Capability string   `json:"capability"`
	Entries    []string `json:"entries"`
}

// Problems lists the undeclared entries and stale declarations.
func (c *Coverage) Problems() []string {
	var out []string
	for _, e := range c.Entries {
		if e.Status == Undeclared {
			out = append(out, fmt.Sprintf("recipe %s drops %s on %s without declaring it: keep it, or add it to gives-up with the capability lost", c.Recipe, e.ID, c.Release))
		}
	}
	for _, s := range c.Stale {
		out = append(out, fmt.Sprintf("recipe %s on %s: gives-up %s drops nothing; the recipe keeps what it names", c.Recipe, c.Release, s))
	}
	return out
}

// Coverage evaluates the recipe against an inventory from its rules
// alone, without an SDK: for each entry, whether the rules keep every
// file it needs (a tool built on demand needs its package kept), and if
// not, which gives-up declaration covers it.
func (r *Recipe) Coverage(inv *Inventory) (*Coverage, error) {
	c := &Coverage{Recipe: r.Name, Release: inv.Release}
	kept := map[string]bool{}
	var keeps func(e *Entry) (bool, error)
	keeps = func(e *Entry) (bool, error) {
		if k, ok := kept[e.ID]; ok {
			return k, nil
		}
		ok := true
		files := slices.Clone(e.Files)
		if e.Package != "" {
			files = append(files, "src/"+e.Package+"/main.go")
		}
		for _, f := range files {
			k, err := r.keepsFile(f, inv.Release)
			if err != nil {
				return false, err
			}
			ok = ok && k
		}
		for _, n := range e.Needs {
			k, err := keeps(inv.Entry(n))
			if err != nil {
				return false, err
			}
			ok = ok && k
		}
		kept[e.ID] = ok
		return ok, nil
	}
	used := make([]bool, len(r.GivesUp))
	matched := make([]bool, len(r.GivesUp))
	for i := range inv.Entries {
		e := &inv.Entries[i]
		ec := EntryCoverage{ID: e.ID, Status: Kept}
		k, err := keeps(e)
		if err != nil {
			return nil, err
		}
		switch {
		case e.Absent:
			ec.Status = Absent
		case k:
			for j, g := range r.GivesUp {
				if ok, _ := g.When.Match(inv.Release); ok && g.names(e.ID) {
					matched[j] = true
				}
			}
		default:
			ec.Status = Undeclared
			for j, g := range r.GivesUp {
				if ok, _ := g.When.Match(inv.Release); ok && g.names(e.ID) {
					matched[j], used[j] = true, true
					if ec.Status == Undeclared {
						ec.Status, ec.Capability = Dropped, g.Capability
					}
				}
			}
		}
		c.Entries = append(c.Entries, ec)
	}
	for j, g := range r.GivesUp {
		if matched[j] && !used[j] {
			c.Stale = append(c.Stale, fmt.Sprintf("%v (%s)", g.Entries, g.Capability))
		}
	}
	return c, nil
}

// names reports whether the declaration names the entry ID.
func (g *GiveUp) names(id string) bool {
	return slices.ContainsFunc(g.Entries, func(p string) bool { return MatchID(p, id) })
}

// keepsFile reports whether the recipe's rules keep the GOROOT-relative
// file name on release version: the last rule that selects it decides. A
// packages rule selects the sources of the packages its patterns name
// (their import closure is then kept too).
func (r *Recipe) keepsFile(name, version string) (bool, error) {
	keep := false
	for i := range r.Rules {
		rule := &r.Rules[i]
		ok, err := rule.When.Match(version)
		if err != nil {
			return false, fmt.Errorf("recipe %s: %w", r.Name, err)
		}
		if !ok {
			continue
		}
		switch rule.Kind() {
		case "include":
			if slices.ContainsFunc(rule.Include, func(g Glob) bool { return g.Match(name) }) {
				keep = true
			}
		case "exclude":
			if !slices.ContainsFunc(rule.Exclude, func(g Glob) bool { return g.Match(name) }) {
				break
			}
			if rule.OtherPlatforms {
				// Whether it goes depends on the file's build constraints,
				// which prune evaluates; no inventory entry names such a file.
				return false, fmt.Errorf("recipe %s: rule %s matches inventory file %s: coverage cannot tell which platforms it is for", r.Name, rule, name)
			}
			keep = false
		case "tools":
			dir, base := path.Split(name)
			if strings.HasPrefix(dir, "pkg/tool/") && strings.Count(dir, "/") == 3 && slices.Contains(rule.Tools, strings.TrimSuffix(base, ".exe")) {
				keep = true
			}
		case "packages":
			if strings.HasPrefix(name, "src/") && slices.ContainsFunc(rule.Packages, func(p string) bool { return patternCovers(p, path.Dir(name[len("src/"):])) }) {
				keep = true
			}
		}
	}
	return keep, nil
}

// patternCovers reports whether a packages pattern ("std", "cmd",
// "cmd/nm", "crypto/...") names the package importPath.
func patternCovers(pattern, importPath string) bool {
	isCmd := importPath == "cmd" || strings.HasPrefix(importPath, "cmd/")
	switch {
	case pattern == "std":
		return !isCmd
	case pattern == "cmd":
		return isCmd
	case strings.HasSuffix(pattern, "/..."):
		dir := strings.TrimSuffix(pattern, "/...")
		return importPath == dir || strings.HasPrefix(importPath, dir+"/")
	}
	return pattern == importPath
}

// CoverageAll evaluates the recipe against every checked-in inventory,
// oldest line first.
func (r *Recipe) CoverageAll() ([]*Coverage, error) {
	invs, err := Inventories()
	if err != nil {
		return nil, err
	}
	var out []*Coverage
	for _, inv := range invs {
		c, err := r.Coverage(inv)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// GivenUpOn is one capability a recipe gives up and the releases (of the
// inventories) on which it does.
type GivenUpOn struct {
	Capability string   `json:"capability"`
	Releases   []string `json:"releases"`
}

// GivenUpByRelease folds coverages of several release lines into the
// capabilities given up, in order of first appearance.
func GivenUpByRelease(covs []*Coverage) []GivenUpOn {
	var out []GivenUpOn
	for _, c := range covs {
		for _, g := range c.GivenUp() {
			i := slices.IndexFunc(out, func(o GivenUpOn) bool { return o.Capability == g.Capability })
			if i < 0 {
				out = append(out, GivenUpOn{Capability: g.Capability})
				i = len(out) - 1
			}
			out[i].Releases = append(out[i].Releases, c.Release)
		}
	}
	return out
}

// Span is a compact form of a list of releases, oldest first: "go1.21.13
// to go1.24.13" for a run, or the list itself.
func Span(releases []string, all []string) string {
	if len(releases) == 0 {
		return ""
	}
	first := slices.Index(all, releases[0])
	contiguous := first >= 0 && first+len(releases) <= len(all) && slices.Equal(all[first:first+len(releases)], releases)
	switch {
	case len(releases) == len(all) && contiguous:
		return "every line"
	case len(releases) == 1:
		return LineOf(releases[0])
	case contiguous:
		return LineOf(releases[0]) + "-" + LineOf(releases[len(releases)-1])
	}
	lines := make([]string, len(releases))
	for i, r := range releases {
		lines[i] = LineOf(r)
	}
	return strings.Join(lines, ", ")
}
