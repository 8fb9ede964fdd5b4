package layers

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
)

// A layer plan splits the GOROOT into layers by how their content changes,
// so images that differ only in recipe, base or platform share blobs:
//
//	toolchain  bin/ and pkg/tool/: per release and platform (and recipe,
//	           when it strips binaries)
//	std        the standard library's sources (src/ without src/cmd, tests
//	           and testdata): per release only, the same on every platform
//	cmd        src/cmd without tests and testdata: per release
//	tests      *_test.go, testdata/ and test/: kept by the full recipe only
//	rest       everything else (VERSION, go.env, pkg/include, lib, misc, ...)
//
// Each file goes to the first group that takes it; "rest" takes everything
// and is always last, added when a plan does not name it. Empty layers are
// left out.
const DefaultPlan = "toolchain,std,cmd,tests,rest"

// planGroups is the one table of a plan's groups: the categories each
// takes (nil: everything) and what it holds, in the words of the image
// history. Its order is the order the groups are listed in.
var planGroups = []struct {
	name  string
	takes []goroot.Category
	holds string
}{
	{"toolchain", []goroot.Category{goroot.CatBin, goroot.CatTool}, "Go toolchain binaries (bin/, pkg/tool/)"},
	{"std", []goroot.Category{goroot.CatStd}, "standard library sources (src/ without src/cmd, tests, testdata)"},
	{"cmd", []goroot.Category{goroot.CatCmd}, "toolchain sources (src/cmd)"},
	{"tests", []goroot.Category{goroot.CatTests, goroot.CatTestdata}, "tests and testdata"},
	{"docs", []goroot.Category{goroot.CatDocs}, "documentation (api/, doc/, *.md)"},
	{"rest", nil, "the rest of the GOROOT (VERSION, go.env, pkg/include, lib, misc, ...)"},
}

// planGroup returns the table row of group name, or false.
func planGroup(name string) (takes []goroot.Category, holds string, ok bool) {
	for _, g := range planGroups {
		if g.name == name {
			return g.takes, g.holds, true
		}
	}
	return nil, "", false
}

// GroupHolds says what a plan group holds ("tests and testdata"), for the
// image history; "" for a name that is not a plan group.
func GroupHolds(group string) string {
	_, holds, _ := planGroup(group)
	return holds
}

// Plan is a parsed layer plan: group names in order, "rest" last.
type Plan []string

// ParsePlan parses a comma-separated list of groups: toolchain, std, cmd,
// tests, docs and rest. "rest" alone puts the GOROOT in one layer; an
// empty list is DefaultPlan.
func ParsePlan(s string) (Plan, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultPlan
	}
	var p Plan
	seen := map[string]bool{}
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if _, _, ok := planGroup(g); !ok {
			return nil, fmt.Errorf("layer plan %q: unknown group %q; want a list of %s", s, g, groupNames())
		}
		if seen[g] {
			return nil, fmt.Errorf("layer plan %q: group %q given twice", s, g)
		}
		if seen["rest"] {
			return nil, fmt.Errorf("layer plan %q: rest takes everything, so it must come last", s)
		}
		seen[g] = true
		p = append(p, g)
	}
	if !seen["rest"] {
		p = append(p, "rest")
	}
	return p, nil
}

// groupNames lists the plan groups: "toolchain, std, ..., rest".
func groupNames() string {
	names := make([]string, len(planGroups))
	for i, g := range planGroups {
		names[i] = g.name
	}
	return strings.Join(names, ", ")
}

// String returns the plan as ParsePlan reads it: "toolchain,std,rest".
func (p Plan) String() string { return strings.Join(p, ",") }

// group returns the group of a GOROOT-relative name under plan p.
func (p Plan) group(name string) string {
	cat := goroot.CategoryOf(name)
	for _, g := range p {
		takes, _, _ := planGroup(g)
		if takes == nil {
			return g
		}
		for _, c := range takes {
			if c == cat {
				return g
			}
		}
	}
	return "rest"
}

// Group is the entries of one layer: a plan group's, or another layer's
// an image adds (such as the reset layer of an image on a base).
type Group struct {
	Name    string
	Entries []Entry
}

// Split turns a file set into the entries of each group, in plan order,
// leaving out empty groups. Names are placed below gorootPath (an image
// path such as "/usr/local/go") and modes follow the file's role.
func (p Plan) Split(files goroot.FileSet, gorootPath string) []Group {
	prefix := strings.TrimPrefix(path.Clean(gorootPath), "/")
	by := map[string][]Entry{}
	for _, f := range files {
		e := Entry{Name: path.Join(prefix, f.Name)}
		switch {
		case f.IsDir():
			e.Mode = fs.ModeDir | 0o755
		case f.Mode&fs.ModeSymlink != 0:
			e.Mode, e.Link = fs.ModeSymlink|0o777, f.Link
		default:
			e.Mode, e.Src, e.Size = goroot.ModeOf(f.Name), f.Src, f.Size
		}
		g := p.group(f.Name)
		by[g] = append(by[g], e)
	}
	var out []Group
	for _, g := range p {
		if len(by[g]) > 0 {
			out = append(out, Group{Name: g, Entries: by[g]})
		}
	}
	return out
}
