package prune_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
)

// TestRecipesWindows resolves every built-in recipe against go1.26.11's
// windows/amd64 toolchain module zip and its linux/amd64 one and checks
// that each keeps the same commands, tools and support files (outside
// src/, whose platform pruning differs by design), a Windows command
// being its Linux name with ".exe": the recipes, written with Linux
// names, keep the Windows toolchain whole.
func TestRecipesWindows(t *testing.T) {
	win, _ := sdktest.Release(t, "1.26.11", v1.Platform{OS: "windows", Architecture: "amd64"})
	lin, _ := sdktest.Release(t, "1.26.11", v1.Platform{OS: "linux", Architecture: "amd64"})
	for _, name := range recipes.Names() {
		t.Run(name, func(t *testing.T) {
			r, err := recipes.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			kept := func(tree prune.Plan, goos string) []string {
				var out []string
				for _, f := range tree.Kept {
					n := f.Name
					if strings.HasPrefix(n, "src/") {
						continue
					}
					n = strings.Replace(n, "pkg/tool/"+goos+"_amd64", "pkg/tool/GOOS_amd64", 1)
					if strings.HasPrefix(n, "bin/") || strings.HasPrefix(n, "pkg/tool/") {
						n = strings.TrimSuffix(n, ".exe")
					}
					out = append(out, n)
				}
				slices.Sort(out)
				return out
			}
			wp, err := prune.Resolve(context.Background(), win.Tree(), r)
			if err != nil {
				t.Fatal(err)
			}
			lp, err := prune.Resolve(context.Background(), lin.Tree(), r)
			if err != nil {
				t.Fatal(err)
			}
			w, l := kept(*wp, "windows"), kept(*lp, "linux")
			if !slices.Equal(w, l) {
				t.Errorf("recipe %s keeps outside src/ on windows/amd64:\n%v\non linux/amd64:\n%v", name, w, l)
			}
			if !slices.Contains(w, "bin/go") {
				t.Errorf("recipe %s drops bin/go.exe on windows/amd64", name)
			}
		})
	}
}
