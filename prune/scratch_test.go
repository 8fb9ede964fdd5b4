package prune

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/recipes"
)

func TestScratchSizes(t *testing.T) {
	root := os.Getenv("SCRATCH_GOROOT")
	if root == "" {
		t.Skip()
	}
	for _, n := range recipes.Names() {
		r, err := recipes.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Resolve(context.Background(), goroot.Tree{Dir: root, GOOS: "linux", GOARCH: "amd64"}, r)
		if err != nil {
			t.Fatal(err)
		}
		by := map[goroot.Category]int64{}
		for _, f := range p.Kept {
			by[goroot.CategoryOf(f.Name)] += f.Size
		}
		s := fmt.Sprintf("%-8s %6.1fMB", n, float64(p.Kept.Bytes())/1e6)
		for _, c := range goroot.Categories {
			s += fmt.Sprintf(" %s=%.1f", c, float64(by[c])/1e6)
		}
		fmt.Println(s)
	}
}
