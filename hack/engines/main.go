// Command engines turns the JSON lines the engine tests write
// (GOROOTIMG_ENGINES_ROWS) into the markdown table of docs/engines.md: one
// row per engine and scenario, one column per release. hack/engines.sh
// runs it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

type row struct {
	Engine   string  `json:"engine"`
	Scenario string  `json:"scenario"`
	Release  string  `json:"release"`
	Result   string  `json:"result"`
	Seconds  float64 `json:"seconds"`
	Note     string  `json:"note"`
}

func main() {
	type key struct{ engine, scenario string }
	var keys []key
	cells := map[key]map[string]row{}
	var releases []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintf(os.Stderr, "engines: bad line %q: %v\n", sc.Text(), err)
			os.Exit(1)
		}
		k := key{r.Engine, r.Scenario}
		if cells[k] == nil {
			cells[k] = map[string]row{}
			keys = append(keys, k) // first-seen order: the test's order
		}
		cells[k][r.Release] = r
		if !slices.Contains(releases, r.Release) {
			releases = append(releases, r.Release)
		}
	}
	slices.SortFunc(releases, compareVersions)
	fmt.Printf("| engine | scenario | %s | note |\n", strings.Join(releases, " | "))
	fmt.Printf("|---|---|%s---|\n", strings.Repeat("---|", len(releases)))
	for _, k := range keys {
		var cols, notes []string
		for _, rel := range releases {
			r, ok := cells[k][rel]
			switch {
			case !ok:
				cols = append(cols, "not run")
			default:
				cols = append(cols, fmt.Sprintf("%s (%.1f s)", r.Result, r.Seconds))
				if r.Note != "" && !slices.Contains(notes, r.Note) {
					notes = append(notes, r.Note)
				}
			}
		}
		fmt.Printf("| %s | %s | %s | %s |\n", k.engine, k.scenario, strings.Join(cols, " | "), strings.Join(notes, "; "))
	}
}

// compareVersions orders "go1.9.2" before "go1.22.12".
func compareVersions(a, b string) int {
	pa, pb := strings.Split(strings.TrimPrefix(a, "go"), "."), strings.Split(strings.TrimPrefix(b, "go"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}
