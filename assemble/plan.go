package assemble

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/layers"
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
const DefaultLayerPlan = "toolchain,std,cmd,tests,rest"

// layerGroups maps a plan's group names to the categories they take.
var layerGroups = map[string][]goroot.Category{
	"toolchain": {goroot.CatBin, goroot.CatTool},
	"std":       {goroot.CatStd},
	"cmd":       {goroot.CatCmd},
	"tests":     {goroot.CatTests, goroot.CatTestdata},
	"docs":      {goroot.CatDocs},
	"rest":      nil, // everything
}

// LayerPlan is a parsed layer plan: group names in order, "rest" last.
type LayerPlan []string

// ParseLayerPlan parses a comma-separated list of groups: toolchain, std,
// cmd, tests, docs and rest. "rest" alone puts the GOROOT in one layer.
func ParseLayerPlan(s string) (LayerPlan, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultLayerPlan
	}
	var p LayerPlan
	seen := map[string]bool{}
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if _, ok := layerGroups[g]; !ok {
			return nil, fmt.Errorf("layer plan %q: unknown group %q; want a list of toolchain, std, cmd, tests, docs, rest", s, g)
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

func (p LayerPlan) String() string { return strings.Join(p, ",") }

// group returns the group of a GOROOT-relative name under plan p.
func (p LayerPlan) group(name string) string {
	cat := goroot.CategoryOf(name)
	for _, g := range p {
		cats := layerGroups[g]
		if cats == nil {
			return g
		}
		for _, c := range cats {
			if c == cat {
				return g
			}
		}
	}
	return "rest"
}

// split turns a file set into the entries of each group, in plan order,
// leaving out empty groups. Names are placed below gorootPath (an image
// path such as "/usr/local/go") and modes follow the file's role.
func (p LayerPlan) split(files goroot.FileSet, gorootPath string) []groupEntries {
	prefix := strings.TrimPrefix(path.Clean(gorootPath), "/")
	by := map[string][]layers.Entry{}
	for _, f := range files {
		e := layers.Entry{Name: path.Join(prefix, f.Name)}
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
	var out []groupEntries
	for _, g := range p {
		if len(by[g]) > 0 {
			out = append(out, groupEntries{name: g, entries: by[g]})
		}
	}
	return out
}

type groupEntries struct {
	name    string
	entries []layers.Entry
}

// files counts the regular files and symlinks of g.
func (g groupEntries) files() int {
	n := 0
	for _, e := range g.entries {
		if !e.Mode.IsDir() {
			n++
		}
	}
	return n
}

// resetGroup is the layer that hides whatever the base image has at the
// GOROOT path: an opaque whiteout, so the image's GOROOT is exactly the
// SDK's. It is added for every base but scratch.
func resetGroup(goroot string) groupEntries {
	dir := strings.TrimPrefix(path.Clean(goroot), "/")
	return groupEntries{name: "reset", entries: []layers.Entry{
		{Name: dir, Mode: fs.ModeDir | 0o755},
		{Name: path.Join(dir, ".wh..wh..opq"), Mode: 0o644},
	}}
}
