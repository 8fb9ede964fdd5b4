// Command fidelity turns the JSON lines the fidelity test writes
// (GOROOTIMG_FIDELITY_OUT) into the markdown table of docs/recipes.md.
// hack/fidelity.sh runs it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

type row struct {
	Release   string `json:"release"`
	Recipe    string `json:"recipe"`
	FullBytes int64  `json:"full_bytes"`
	KeptBytes int64  `json:"kept_bytes"`
	Probes    int    `json:"probes"`
	Artifacts int    `json:"artifacts"`
	Identical int    `json:"identical"`
	Same      int    `json:"same"`
	Note      string `json:"note"`
}

var order = []string{"full", "slim", "ci", "build", "minimal"}

func main() {
	var rows []row
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintf(os.Stderr, "fidelity: bad line %q: %v\n", sc.Text(), err)
			os.Exit(1)
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := compareVersions(a.Release, b.Release); c != 0 {
			return c
		}
		return slices.Index(order, a.Recipe) - slices.Index(order, b.Recipe)
	})
	fmt.Println("| release | recipe | size | % of full | probes same outcome | artifacts identical |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, r := range rows {
		probes, arts := fmt.Sprintf("%d/%d", r.Same, r.Probes), fmt.Sprintf("%d/%d", r.Identical, r.Artifacts)
		if r.Note != "" {
			probes, arts = r.Note, r.Note
		}
		fmt.Printf("| %s | %s | %.1f MB | %.1f%% | %s | %s |\n", r.Release, r.Recipe, float64(r.KeptBytes)/1e6,
			100*float64(r.KeptBytes)/float64(r.FullBytes), probes, arts)
	}
}

// compareVersions orders "go1.9.2" before "go1.21.13".
func compareVersions(a, b string) int {
	pa, pb := strings.Split(strings.TrimPrefix(a, "go"), "."), strings.Split(strings.TrimPrefix(b, "go"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		fmt.Sscan(pa[i], &x)
		fmt.Sscan(pb[i], &y)
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}
