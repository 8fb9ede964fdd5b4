package depcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a non-test function may be, counted from
// its func line to its closing brace.
const maxFuncLines = 80

// moduleRoot is the directory of the module's go.mod, two levels up.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	return root
}

// longFuncs returns "file:line: name is N lines" for each function
// declaration in the non-test Go files of the module at root (testdata,
// hidden directories and nested modules skipped) longer than max lines,
// and how many functions it read.
func longFuncs(root string, max int) (long []string, funcs int, err error) {
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p == root {
				return nil
			}
			if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module (hack/buildkit's tools)
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			funcs++
			start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
			if n := end.Line - start.Line + 1; n > max {
				rel, _ := filepath.Rel(root, p)
				long = append(long, fmt.Sprintf("%s:%d: %s is %d lines", filepath.ToSlash(rel), start.Line, funcName(fd), n))
			}
		}
		return nil
	})
	return long, funcs, err
}

// funcName is "Recv.Name" for a method, "Name" for a function.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok {
		typ = ix.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// TestFuncLength fails on any non-test function of the module longer than
// maxFuncLines lines (a function that long does several things: split it).
func TestFuncLength(t *testing.T) {
	long, funcs, err := longFuncs(moduleRoot(t), maxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	if funcs < 100 {
		t.Fatalf("read only %d functions: the walk is broken and proves nothing", funcs)
	}
	for _, l := range long {
		t.Errorf("%s; the limit is %d", l, maxFuncLines)
	}
}

// TestLongFuncsFinds checks the counter on a file with a function of
// exactly the limit and one a line longer.
func TestLongFuncsFinds(t *testing.T) {
	dir := t.TempDir()
	body := func(name string, lines int) string {
		return "func " + name + "() {\n" + strings.Repeat("\t_ = 0\n", lines-2) + "}\n"
	}
	src := "package p\n\n" + body("ok", maxFuncLines) + "\n" + body("tooLong", maxFuncLines+1)
	for name, text := range map[string]string{"p.go": src, "p_test.go": "package p\n\n" + body("testLong", 200)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long, funcs, err := longFuncs(dir, maxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("p.go:%d: tooLong is %d lines", maxFuncLines+4, maxFuncLines+1)
	if funcs != 2 || len(long) != 1 || long[0] != want {
		t.Errorf("longFuncs = %q (%d functions), want [%q] (2 functions)", long, funcs, want)
	}
}
