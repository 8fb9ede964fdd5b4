package prune

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/recipes"
)

// TestPrepare: Prepare gives what Resolve and Apply give, creates its work
// directory, keeps the whole tree for a nil recipe and names the recipe and
// tree when resolving fails.
func TestPrepare(t *testing.T) {
	root := fakeGOROOT(t, fakeFiles)
	ctx := context.Background()
	tree := goroot.Tree{Dir: root, GOOS: "linux", GOARCH: "amd64"}
	r, err := recipes.Lookup("minimal")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Resolve(ctx, tree, r)
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "not", "yet")
	plan, files, err := Prepare(ctx, tree, r, work)
	if err != nil {
		t.Fatalf("Prepare(minimal) = %v", err)
	}
	if len(files) != len(want.Kept) || len(plan.Kept) != len(want.Kept) || len(plan.Dropped) != len(want.Dropped) {
		t.Errorf("Prepare(minimal) kept %d files (plan %d, dropped %d); Resolve keeps %d, drops %d",
			len(files), len(plan.Kept), len(plan.Dropped), len(want.Kept), len(want.Dropped))
	}
	if _, err := os.Stat(work); err != nil {
		t.Errorf("Prepare did not create its work directory: %v", err)
	}

	plan, files, err = Prepare(ctx, tree, nil, "")
	if err != nil {
		t.Fatalf("Prepare(nil) = %v", err)
	}
	all, err := goroot.Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(all) || len(plan.All) != len(all) || len(plan.Kept) != len(all) || len(plan.Dropped) != 0 {
		t.Errorf("Prepare(nil) = %d files, plan all %d kept %d dropped %d; want the whole tree (%d)",
			len(files), len(plan.All), len(plan.Kept), len(plan.Dropped), len(all))
	}

	_, _, err = Prepare(ctx, goroot.Tree{Dir: root}, r, work)
	if err == nil || !strings.Contains(err.Error(), `applying recipe "minimal" to `+root) {
		t.Errorf("Prepare(no platform) = %v, want an error naming the recipe and the tree", err)
	}
}
