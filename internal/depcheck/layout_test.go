package depcheck

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

const ggcrLayout = "github.com/google/go-containerregistry/pkg/v1/layout"

// layoutWriters are the functions and methods of go-containerregistry's
// layout package that write to a layout (blobs, oci-layout, index.json).
var layoutWriters = map[string]bool{
	"Write": true, "AppendImage": true, "AppendIndex": true, "AppendDescriptor": true,
	"ReplaceImage": true, "ReplaceIndex": true, "RemoveDescriptors": true, "WriteFile": true,
	"WriteBlob": true, "WriteImage": true, "WriteIndex": true, "RemoveBlob": true, "GarbageCollect": true,
}

// fileWriters are the calls that create or replace a file by name.
var fileWriters = map[string]bool{
	"os.WriteFile": true, "os.Create": true, "os.OpenFile": true, "os.Rename": true,
	mod + "/internal/atomicfile.WriteFile": true, mod + "/internal/atomicfile.Create": true,
}

// TestOneLayoutWriter type-checks every package of the module (tests
// excluded) and finds each call that writes an OCI layout: a writing
// function or method of go-containerregistry's layout package, or a file
// write whose name is built from the constant "index.json". Only publish,
// the layout publisher, may make them, and it must (else the search is
// broken and proves nothing). Packages below test/ build fixtures for
// tests (hostile layouts) and are allowed as long as no library or
// command imports them.
func TestOneLayoutWriter(t *testing.T) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
		packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports | packages.NeedDeps}
	pkgs, err := packages.Load(cfg, mod+"/...")
	if err != nil {
		t.Fatalf("loading packages: %v", err)
	}
	found := map[string][]string{} // package -> what it writes, where
	checked := 0
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			t.Fatalf("loading %s: %v", p.PkgPath, p.Errors)
		}
		checked++
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if what := layoutWrite(p.TypesInfo, call); what != "" {
					found[p.PkgPath] = append(found[p.PkgPath], what+" at "+p.Fset.Position(call.Pos()).String())
				}
				return true
			})
		}
	}
	if checked < 10 {
		t.Fatalf("type-checked %d packages; the module has more", checked)
	}
	pub := found[mod+"/publish"]
	var viaLayout, viaIndexJSON bool
	for _, w := range pub {
		viaLayout = viaLayout || strings.HasPrefix(w, "layout.")
		viaIndexJSON = viaIndexJSON || strings.Contains(w, "index.json")
	}
	if !viaLayout || !viaIndexJSON {
		t.Errorf("publish writes %q; want both go-containerregistry layout calls and index.json found, or this test finds nothing", pub)
	}
	for p, ws := range found {
		short := strings.TrimPrefix(p, mod+"/")
		if short == "publish" || strings.HasPrefix(short, "test/") {
			continue
		}
		t.Errorf("%s writes an OCI layout (%s): only publish.Layout may", p, strings.Join(ws, "; "))
	}
	for p, ds := range listDeps(t) {
		for _, d := range ds {
			if strings.HasPrefix(d, mod+"/test/") && !strings.HasPrefix(p, mod+"/test/") {
				t.Errorf("%s imports the test fixture package %s", p, d)
			}
		}
	}
}

// layoutWrite describes call if it writes a layout, else "".
func layoutWrite(info *types.Info, call *ast.CallExpr) string {
	var id *ast.Ident
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		id = fn.Sel
	case *ast.Ident:
		id = fn
	default:
		return ""
	}
	f, ok := info.Uses[id].(*types.Func)
	if !ok || f.Pkg() == nil {
		return ""
	}
	if f.Pkg().Path() == ggcrLayout && layoutWriters[f.Name()] {
		return "layout." + f.Name()
	}
	if sig, _ := f.Type().(*types.Signature); sig != nil && sig.Recv() == nil && fileWriters[f.Pkg().Path()+"."+f.Name()] {
		for _, a := range call.Args {
			if mentionsIndexJSON(info, a) {
				return f.Name() + " of index.json"
			}
		}
	}
	return ""
}

// mentionsIndexJSON reports whether e or a part of it is a string constant
// naming index.json ("index.json", filepath.Join(dir, "index.json"), a
// named constant).
func mentionsIndexJSON(info *types.Info, e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		x, ok := n.(ast.Expr)
		if !ok || found {
			return !found
		}
		if tv, ok := info.Types[x]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
			if s := constant.StringVal(tv.Value); s == "index.json" || strings.HasSuffix(s, "/index.json") {
				found = true
			}
		}
		return true
	})
	return found
}

// TestVerifyDoesNotPublish keeps verify free of publishing code.
func TestVerifyDoesNotPublish(t *testing.T) {
	deps := listDeps(t)
	for _, p := range []string{mod + "/verify", mod + "/publish"} {
		if _, ok := deps[p]; !ok {
			t.Fatalf("go list did not report %s", p)
		}
	}
	for _, d := range deps[mod+"/verify"] {
		if d == mod+"/publish" {
			t.Errorf("verify imports %s: verifying an image must not need the code that publishes it", d)
		}
	}
	// The check is not vacuous: the command does import publish.
	seen := false
	for _, d := range deps[mod+"/cmd/gorootimg"] {
		seen = seen || d == mod+"/publish"
	}
	if !seen {
		t.Error("cmd/gorootimg does not import publish; the dependency list is wrong")
	}
}
