package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
)

// recipeCoverage is what "recipes --json" reports of a recipe's coverage
// of the checked-in inventories.
type recipeCoverage struct {
	Lines   []coverageLine      `json:"lines"`
	GivesUp []recipes.GivenUpOn `json:"gives_up,omitempty"`
}

// coverageLine counts one line's entries by status.
type coverageLine struct {
	Release string `json:"release"`
	Kept    int    `json:"kept"`
	Dropped int    `json:"dropped"`
	Absent  int    `json:"absent"`
}

func newRecipeCoverage(r *recipes.Recipe) (recipeCoverage, []string, error) {
	covs, err := r.CoverageAll()
	if err != nil {
		return recipeCoverage{}, nil, err
	}
	var rc recipeCoverage
	var releases []string
	for _, c := range covs {
		rc.Lines = append(rc.Lines, coverageLine{c.Release, c.Count(recipes.Kept), c.Count(recipes.Dropped) + c.Count(recipes.Undeclared), c.Count(recipes.Absent)})
		releases = append(releases, c.Release)
	}
	rc.GivesUp = recipes.GivenUpByRelease(covs)
	return rc, releases, nil
}

// printGivesUp prints, per recipe, each capability it gives up and the
// release lines on which it does.
func printGivesUp(w io.Writer, names []string, covs []recipeCoverage, releases []string) {
	fmt.Fprintf(w, "\nWhat each recipe gives up of the inventory of %s to %s (every other go subcommand, go tool and GOROOT support file is kept):\n",
		recipes.LineOf(releases[0]), recipes.LineOf(releases[len(releases)-1]))
	for i, n := range names {
		if len(covs[i].GivesUp) == 0 {
			fmt.Fprintf(w, "  %s: nothing\n", n)
			continue
		}
		for _, g := range covs[i].GivesUp {
			fmt.Fprintf(w, "  %s: %s (%s)\n", n, g.Capability, recipes.Span(g.Releases, releases))
		}
	}
}

// planCoverage is the coverage of the plan's release line, checked
// against the plan: an entry the rules keep must have its files kept.
type planCoverage struct {
	Inventory string            `json:"inventory"`
	Kept      int               `json:"kept"`
	Absent    int               `json:"absent"`
	GivesUp   []recipes.GivenUp `json:"gives_up,omitempty"`
	Problems  []string          `json:"problems,omitempty"`
}

func newPlanCoverage(p *prune.Plan) (*planCoverage, error) {
	inv, err := recipes.InventoryFor(p.Target.Version)
	if err != nil || inv == nil {
		return nil, err
	}
	c, err := p.Recipe.Coverage(inv)
	if err != nil {
		return nil, err
	}
	pc := &planCoverage{Inventory: inv.Release, Kept: c.Count(recipes.Kept), Absent: c.Count(recipes.Absent), GivesUp: c.GivenUp(), Problems: c.Problems()}
	toolDir := "pkg/tool/" + p.Target.GOOS + "_" + p.Target.GOARCH + "/"
	for _, ec := range c.Entries {
		e := inv.Entry(ec.ID)
		if ec.Status != recipes.Kept || e.Absent {
			continue
		}
		for _, f := range e.Files {
			if strings.HasPrefix(f, "pkg/tool/") { // the inventory's platform's tool dir
				f = toolDir + f[strings.LastIndex(f, "/")+1:]
			}
			if why := p.Why(f); why != "" && !strings.HasPrefix(why, "kept") {
				pc.Problems = append(pc.Problems, fmt.Sprintf("%s: the rules keep it, but %s: %s", ec.ID, f, why))
			}
		}
	}
	return pc, nil
}

func (pc *planCoverage) print(w io.Writer) {
	fmt.Fprintf(w, "inventory of %s: %d entries kept, %d absent from the SDK", pc.Inventory, pc.Kept, pc.Absent)
	if len(pc.GivesUp) == 0 {
		fmt.Fprintln(w, ", nothing given up")
	} else {
		fmt.Fprintln(w, "; gives up:")
	}
	for _, g := range pc.GivesUp {
		fmt.Fprintf(w, "  %s: %s\n", g.Capability, strings.Join(g.Entries, ", "))
	}
	for _, p := range pc.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
}
