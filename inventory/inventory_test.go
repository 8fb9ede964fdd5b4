package inventory

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
)

func TestDiff(t *testing.T) {
	base := func() *recipes.Inventory {
		return &recipes.Inventory{Release: "go1.26.11", Platform: "linux/amd64", Entries: []recipes.Entry{
			{ID: "file/lib/wasm/wasm_exec.js", Kind: recipes.KindFile, Files: []string{"lib/wasm/wasm_exec.js"}},
			{ID: "tool/nm", Kind: recipes.KindTool, Files: []string{"pkg/tool/linux_amd64/nm"}},
		}, Unread: []string{"SECURITY.md"}}
	}
	for _, tc := range []struct {
		name   string
		change func(*recipes.Inventory)
		want   []string
	}{
		{"same, new patch", func(inv *recipes.Inventory) { inv.Release = "go1.26.12" }, nil},
		{"same, another host", func(inv *recipes.Inventory) {
			inv.Platform, inv.Entries[1].Files = "linux/arm64", []string{"pkg/tool/linux_arm64/nm"}
		}, nil},
		{"tool added", func(inv *recipes.Inventory) {
			inv.Entries = append(inv.Entries, recipes.Entry{ID: "tool/fix", Kind: recipes.KindTool})
		}, []string{"tool/fix: new in"}},
		{"tool removed", func(inv *recipes.Inventory) { inv.Entries = inv.Entries[:1] }, []string{"tool/nm: gone from"}},
		{"built on demand", func(inv *recipes.Inventory) {
			inv.Entries[1].Files, inv.Entries[1].Package = []string{"src/cmd/go.mod"}, "cmd/nm"
		}, []string{`tool/nm: files [src/cmd/go.mod], package "cmd/nm" in`}},
		{"file moved", func(inv *recipes.Inventory) {
			inv.Entries[0] = recipes.Entry{ID: "file/misc/wasm/wasm_exec.js", Kind: recipes.KindFile}
		}, []string{"file/misc/wasm/wasm_exec.js: new in", "file/lib/wasm/wasm_exec.js: gone from"}},
		{"unread file added", func(inv *recipes.Inventory) { inv.Unread = append(inv.Unread, "lib/new/x") }, []string{"file lib/new/x: new in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := base()
			tc.change(fresh)
			got := Diff(base(), fresh)
			if len(got) != len(tc.want) {
				t.Fatalf("Diff = %q, want %d lines like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("Diff line %d = %q, want prefix %q", i, got[i], w)
				}
			}
		})
	}
}

// TestNewestRelease is the guard for new releases: it generates the
// inventory of the newest final release the module proxy serves and fails
// when it differs from the checked-in inventory of its line (a tool added
// or removed, a support file moved) or when the line has none, before an
// image of the release is published. CI runs it. The fix: run
// hack/inventory.sh LINE, then go test ./recipes, and decide in the
// recipes' YAML (keep, or gives-up) for every new entry.
func TestNewestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: fetches the newest Go release (-short)")
	}
	o := sdktest.Options(t)
	ctx := context.Background()
	rels, err := sdk.ListReleases(ctx, o)
	if err != nil {
		t.Skipf("skipping: listing releases: %v", err)
	}
	i := slices.IndexFunc(rels, func(r sdk.Release) bool { return r.Final() }) // newest first
	if i < 0 {
		t.Fatalf("ListReleases: no final release among %d", len(rels))
	}
	s, _ := sdktest.Release(t, rels[i].Version, v1.Platform{})
	diff, err := Check(ctx, s.Dir, s.Version, s.GOOS, s.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diff {
		t.Errorf("%s", d)
	}
	if len(diff) > 0 {
		t.Errorf("the inventory of %s differs from recipes/inventory/%s.json: run hack/inventory.sh %s, then go test ./recipes, and keep or declare (gives-up) every new entry in each recipe",
			s.Version, recipes.LineOf(s.Version), strings.TrimPrefix(recipes.LineOf(s.Version), "go"))
	}
}
