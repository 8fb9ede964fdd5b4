package depcheck

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/gorootimg/gorootimg"

type pkg struct {
	ImportPath string
	Deps       []string
	Standard   bool
}

// listDeps returns, for each package of the module (tests excluded), the
// transitive closure of its imports.
func listDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Deps", mod+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[p.ImportPath] = p.Deps
	}
	if len(deps) == 0 {
		t.Fatal("go list found no packages")
	}
	return deps
}

// isStd reports whether an import path is in the standard library (no dot in
// its first element).
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

func TestImportGraph(t *testing.T) {
	deps := listDeps(t)
	for p, ds := range deps {
		short := strings.TrimPrefix(strings.TrimPrefix(p, mod), "/")
		for _, d := range ds {
			// Nothing but the command imports the command.
			if strings.HasPrefix(d, mod+"/cmd/") {
				t.Errorf("%s imports %s: libraries must not import cmd/", p, d)
			}
			// BuildKit stays behind llbgen.
			if strings.HasPrefix(d, "github.com/moby/buildkit") && short != "llbgen" && short != "cmd/gorootimg" {
				t.Errorf("%s imports %s: only llbgen may import BuildKit", p, d)
			}
			if d == mod+"/llbgen" && short != "cmd/gorootimg" {
				t.Errorf("%s imports llbgen: only cmd/gorootimg may", p)
			}
			// prune and recipes: the standard library, a YAML decoder, the
			// GOROOT model and each other.
			if short == "prune" || short == "recipes" {
				ok := isStd(d) || strings.HasPrefix(d, "go.yaml.in/yaml/") || d == mod+"/recipes" || d == mod+"/prune" || d == mod+"/goroot"
				if !ok {
					t.Errorf("%s imports %s: prune and recipes may use only the standard library, a YAML decoder and goroot", p, d)
				}
			}
			// The GOROOT model is the leaf: the standard library only.
			if short == "goroot" && !isStd(d) {
				t.Errorf("%s imports %s: goroot may use only the standard library", p, d)
			}
			// Whether this host runs a platform's binaries is one question,
			// asked by warmcache and verify alike: the standard library only.
			if short == "internal/hostrun" && !isStd(d) {
				t.Errorf("%s imports %s: internal/hostrun may use only the standard library", p, d)
			}
			// sdk fetches SDKs; recipes are none of its business.
			if short == "sdk" && d == mod+"/prune" {
				t.Errorf("%s imports prune: the mode rule sdk needs is in goroot", p)
			}
			// Test helpers serve tests only: no library or command imports
			// them, so no arrow points from a package down to a helper that
			// imports it back.
			if strings.HasPrefix(d, mod+"/testkit/") && !strings.HasPrefix(p, mod+"/testkit/") {
				t.Errorf("%s imports %s: only tests may import testkit", p, d)
			}
			// verify reads images; it imports no build or publishing code.
			if short == "verify" && (d == mod+"/assemble" || strings.HasPrefix(d, mod+"/publish")) {
				t.Errorf("%s imports %s: verify must not import build or publishing code (labels are in imageconfig)", p, d)
			}
		}
	}
	for _, want := range []string{mod + "/goroot", mod + "/prune", mod + "/recipes", mod + "/sdk", mod + "/verify", mod + "/cmd/gorootimg"} {
		if _, ok := deps[want]; !ok {
			t.Errorf("go list did not report %s", want)
		}
	}
}
