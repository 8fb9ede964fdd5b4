package matrix

import (
	"context"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

func TestInventoryNotes(t *testing.T) {
	invs, err := recipes.Inventories()
	if err != nil {
		t.Fatal(err)
	}
	newest := invs[len(invs)-1].Release
	for _, tc := range []struct {
		name    string
		release string
		want    string
	}{
		{"the inventory's own release", newest, ""},
		{"a line without an inventory", "go1.99.0", "go1.99.0: no checked-in inventory for go1.99: run hack/inventory.sh"},
		{"a line before 1.21", "go1.20.14", "no checked-in inventory for go1.20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Images: []ImageReport{{Release: tc.release}, {Release: tc.release}}}
			got := strings.Join(InventoryNotes(context.Background(), sdk.Options{}, rep), "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) || strings.Count(got, "\n") > 0 {
				t.Errorf("InventoryNotes(%s) = %q, want one note containing %q (or none)", tc.release, got, tc.want)
			}
		})
	}
}
