package matrix

import (
	"context"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/inventory"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// InventoryNotes is publish --dry-run's guard for new releases: for each
// release of the plan it says when its line has no
// checked-in inventory (recipes/inventory), and, for a release other than
// the one the inventory was generated from, generates the release's
// inventory from its SDK for this machine and names every difference (a
// tool added or removed, a support file moved). The recipes' coverage is
// only known for what the checked-in inventories list.
func InventoryNotes(ctx context.Context, opts sdk.Options, rep *Report) []string {
	var seen, notes []string
	host := imageref.HostPlatform()
	for _, img := range rep.Images {
		v := img.Release
		if v == "" || slices.Contains(seen, v) {
			continue
		}
		seen = append(seen, v)
		inv, err := recipes.InventoryFor(v)
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("%s: reading the inventories: %v", v, err))
			continue
		case inv == nil:
			notes = append(notes, fmt.Sprintf("%s: no checked-in inventory for %s: run hack/inventory.sh, then go test ./recipes, before publishing", v, recipes.LineOf(v)))
			continue
		case inv.Release == v:
			continue
		}
		sdks, err := sdk.Resolve(ctx, v, []v1.Platform{host}, opts)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: cannot check its inventory against %s's: %v", v, inv.Release, err))
			continue
		}
		s := sdks[0]
		diff, err := inventory.Check(ctx, s.Dir, s.Version, s.GOOS, s.GOARCH)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: cannot check its inventory against %s's: %v", v, inv.Release, err))
			continue
		}
		for _, d := range diff {
			notes = append(notes, fmt.Sprintf("%s: inventory differs from %s's: %s", v, inv.Release, d))
		}
	}
	return notes
}
