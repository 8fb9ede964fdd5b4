package warmcache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// vetFile is the source file of the package that the vet step asks go
// test to test; its name is also what the go command records for it.
const vetFile = "gorootimg_warm_vet.go"

// vetFailure is the type error that stops the compile of that package
// after the go command has vetted all its imports.
const vetFailure = `var _ int = "gorootimg: warm vet facts"`

// listStd lists the standard library's packages as the go command sees
// them for the image's platform.
func (w *warmer) listStd(ctx context.Context) ([]string, error) {
	out, err := w.run(ctx, "", "list", "-e", "-f", "{{.ImportPath}} {{.Name}} {{if .Error}}error{{else}}{{len .GoFiles}}{{end}}", "std")
	if err != nil {
		return nil, err
	}
	var pkgs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[1] != "main" && f[2] != "error" && f[2] != "0" { // as go build std, which skips test-only directories
			pkgs = append(pkgs, f[0])
		}
	}
	return pkgs, nil
}

// buildVet computes the vet facts of the standard library as go test
// computes them: go test vets every dependency of the package under test
// with its own flag set (in GOROOT: -unsafeptr=false -unreachable=false,
// as the go command's key records), which go vet never uses. The step
// runs go test on a package with no tests that imports every importable
// standard-library package and does not compile: the go command vets the
// imports, then fails the package itself, so nothing of the package
// enters the cache but the list of its source files, removed here.
func (w *warmer) buildVet(ctx context.Context) error {
	pkgs, err := w.listStd(ctx)
	if err != nil {
		return err
	}
	var src strings.Builder
	src.WriteString("package gorootimgwarmvet\n\nimport (\n")
	n := 0
	for _, p := range pkgs {
		if slices.Contains(strings.Split(p, "/"), "internal") || strings.HasPrefix(p, "vendor/") {
			continue
		}
		if w.stdDirs != nil && !w.stdDirs[p] {
			continue
		}
		fmt.Fprintf(&src, "\t_ %q\n", p)
		n++
	}
	fmt.Fprintf(&src, ")\n\n%s\n", vetFailure)
	dir := filepath.Join(w.workDir, "vet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("warming the build cache (vet): %w", err)
	}
	files := map[string]string{"go.mod": "module gorootimgwarmvet\n\ngo 1.21\n", vetFile: src.String()}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return fmt.Errorf("warming the build cache (vet): %w", err)
		}
	}
	out, err := w.run(ctx, "", "-C", dir, "test", "-run=^$", ".")
	if err == nil || !strings.Contains(err.Error(), "gorootimg: warm vet facts") || strings.Count(err.Error(), vetFile+":") != 1 {
		return fmt.Errorf("warming the build cache (vet): go test of %d packages: want only the compile error the step provokes, got %v%s", n, err, out)
	}
	w.res.Steps = append(w.res.Steps, Step{Variant: Vet, Args: []string{w.goRootPath(), "test", "-run=^$", "<package importing " + fmt.Sprint(n) + " std packages>"}})
	return dropOutput(w.cache, []byte("./"+vetFile+"\n"))
}

// dropOutput removes from the cache at dir the output whose content is
// data and every action entry that names it.
func dropOutput(dir string, data []byte) error {
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	return dropActions(dir, func(out string) bool { return out == id })
}

// dropActions removes each action entry whose output id drop accepts,
// with that output, from the cache at dir.
func dropActions(dir string, drop func(out string) bool) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "-a") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f := strings.Fields(string(b))
		if len(f) < 3 || !drop(f[2]) {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		out := filepath.Join(dir, f[2][:2], f[2]+"-d")
		if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	})
}

// dropIndex removes the go command's package index entries (outputs that
// begin "go index v"): their keys name the GOROOT directory and its files'
// times on the machine that built them, so the host path's never match
// the image's, and the image's go command writes its own on first use.
func dropIndex(dir string) error {
	return dropActions(dir, func(out string) bool {
		f, err := os.Open(filepath.Join(dir, out[:2], out+"-d"))
		if err != nil {
			return false
		}
		defer f.Close()
		head := make([]byte, 10)
		n, _ := f.Read(head)
		return bytes.HasPrefix(head[:n], []byte("go index v"))
	})
}
