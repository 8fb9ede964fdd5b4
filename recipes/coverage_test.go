package recipes

import (
	"slices"
	"strings"
	"testing"
)

// TestCoverage checks every built-in recipe against every checked-in
// inventory: each entry is kept, or dropped by a gives-up declaration
// that says what is lost; no declaration is stale; and every declaration
// names an entry of some inventory (a typo names none).
func TestCoverage(t *testing.T) {
	invs, err := Inventories()
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) == 0 || invs[0].Line() != "go1.21" {
		t.Fatalf("Inventories() starts at %v, want go1.21", invs)
	}
	for _, n := range Names() {
		r, err := Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		named := make([]bool, len(r.GivesUp))
		for _, inv := range invs {
			c, err := r.Coverage(inv)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range c.Problems() {
				t.Error(p)
			}
			for j, g := range r.GivesUp {
				for _, e := range inv.Entries {
					named[j] = named[j] || g.names(e.ID)
				}
			}
		}
		for j, g := range r.GivesUp {
			if !named[j] {
				t.Errorf("recipe %s: gives-up %v names no entry of any inventory", n, g.Entries)
			}
		}
	}
}

// TestCoverageCatches shows the check can fail: ci without lib/wasm
// and without the fix tool drops entries it does not declare.
func TestCoverageCatches(t *testing.T) {
	inv, err := InventoryFor("go1.26.11")
	if err != nil || inv == nil {
		t.Fatalf("InventoryFor(go1.26.11) = %v, %v", inv, err)
	}
	ci, _ := Lookup("ci")
	ci.Rules = slices.DeleteFunc(slices.Clone(ci.Rules), func(r Rule) bool {
		return slices.Contains(r.Include, "lib/wasm") || slices.Contains(r.Tools, "fix")
	})
	c, err := ci.Coverage(inv)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.Problems(), "\n")
	for _, want := range []string{"file/lib/wasm/wasm_exec.js", "file/lib/wasm/go_js_wasm_exec", "tool/fix", "subcommand/fix"} {
		if !strings.Contains(got, want+" on go1.26.11 without declaring it") {
			t.Errorf("Coverage of ci without lib/wasm and fix: problems\n%s\nwant %s among them", got, want)
		}
	}
}

func TestCoverageStatus(t *testing.T) {
	inv := &Inventory{Release: "go1.25.0", Entries: []Entry{
		{ID: "file/lib/time/zoneinfo.zip", Kind: KindFile, Files: []string{"lib/time/zoneinfo.zip"}},
		{ID: "file/misc/wasm", Kind: KindFile, Files: []string{"misc/wasm"}, Absent: true},
		{ID: "subcommand/fix", Kind: KindSubcommand, Files: []string{"bin/go"}, Needs: []string{"tool/fix"}},
		{ID: "tool/fix", Kind: KindTool, Files: []string{"src/cmd/go.mod"}, Package: "cmd/fix"},
		{ID: "tool/vet", Kind: KindTool, Files: []string{"pkg/tool/linux_amd64/vet"}},
	}}
	r := &Recipe{Name: "t", Rules: []Rule{
		{Include: []Glob{"bin/go", "lib", "src/cmd/go.mod"}},
		{Exclude: []Glob{"lib/time"}},
		{Tools: []string{"vet"}},
		{Packages: []string{"cmd/fix"}, When: "< 1.25"},
	}, GivesUp: []GiveUp{{Entries: []string{"file/lib/time/*"}, Capability: "time zones"}, {Entries: []string{"tool/vet"}, Capability: "vet"}}}
	c, err := r.Coverage(inv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"file/lib/time/zoneinfo.zip": Dropped, "file/misc/wasm": Absent, "subcommand/fix": Undeclared, "tool/fix": Undeclared, "tool/vet": Kept}
	for _, e := range c.Entries {
		if want[e.ID] != e.Status {
			t.Errorf("Coverage: %s = %s, want %s", e.ID, e.Status, want[e.ID])
		}
	}
	if len(c.Stale) != 1 || !strings.Contains(c.Stale[0], "tool/vet") {
		t.Errorf("Coverage: stale = %v, want the tool/vet declaration", c.Stale)
	}
}

// TestCoverageOtherPlatforms refuses to guess: an exclude rule narrowed
// to other platforms that matches an inventory file is an error, since
// only prune can tell which platforms the file is for.
func TestCoverageOtherPlatforms(t *testing.T) {
	inv := &Inventory{Release: "go1.25.0", Entries: []Entry{
		{ID: "file/lib/wasm/go_js_wasm_exec", Kind: KindFile, Files: []string{"lib/wasm/go_js_wasm_exec"}},
	}}
	r := &Recipe{Name: "t", Rules: []Rule{
		{Include: []Glob{"lib"}},
		{Exclude: []Glob{"src/runtime/race"}, OtherPlatforms: true},
	}}
	if _, err := r.Coverage(inv); err != nil {
		t.Fatalf("Coverage with no matching file: %v", err)
	}
	r.Rules[1].Exclude = []Glob{"lib/wasm"}
	if _, err := r.Coverage(inv); err == nil || !strings.Contains(err.Error(), "coverage cannot tell which platforms") {
		t.Errorf("Coverage = %v, want an error naming the undecidable rule", err)
	}
}
