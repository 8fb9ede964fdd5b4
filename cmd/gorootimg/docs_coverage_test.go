package main

import (
	"fmt"
	"strings"

	"github.com/gorootimg/gorootimg/recipes"
)

// renderCoverage is docs/recipes.md's coverage block: per recipe and
// release line, the inventory entries kept, and what each recipe gives
// up, on which lines, with the entries it drops for it.
func renderCoverage() (string, error) {
	invs, err := recipes.Inventories()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| recipe |")
	var releases []string
	for _, inv := range invs {
		fmt.Fprintf(&b, " %s |", inv.Release)
		releases = append(releases, inv.Release)
	}
	b.WriteString("\n|---|" + strings.Repeat("--:|", len(invs)) + "\n")
	type givenUp struct{ recipe, capability, lines, entries string }
	var gu []givenUp
	for _, n := range recipes.Names() {
		r, err := recipes.Lookup(n)
		if err != nil {
			return "", err
		}
		covs, err := r.CoverageAll()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "| `%s` |", n)
		entries := map[string][]string{}
		for _, c := range covs {
			fmt.Fprintf(&b, " %d of %d |", c.Count(recipes.Kept), len(c.Entries)-c.Count(recipes.Absent))
			for _, g := range c.GivenUp() {
				for _, e := range g.Entries {
					if !strings.Contains(strings.Join(entries[g.Capability], " "), "`"+e+"`") {
						entries[g.Capability] = append(entries[g.Capability], "`"+e+"`")
					}
				}
			}
		}
		b.WriteString("\n")
		for _, g := range recipes.GivenUpByRelease(covs) {
			gu = append(gu, givenUp{n, g.Capability, recipes.Span(g.Releases, releases), strings.Join(entries[g.Capability], ", ")})
		}
	}
	b.WriteString("\n| recipe | gives up | on | inventory entries dropped |\n|---|---|---|---|\n")
	for _, g := range gu {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", g.recipe, mdCell(g.capability), g.lines, g.entries)
	}
	return b.String(), nil
}
