package cacheprog

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// TestGoCommand drives the helper with the real go command: a warm cache
// made by "go build std", made read-only, serves a net/http program's
// build so that only package main is compiled, and a corrupt warm entry
// makes its package compile again instead of breaking the build.
func TestGoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds std once into the fixture store (a minute or more)")
	}
	bin := helper(t)
	tmp := t.TempDir()
	var warm string
	rw, src := filepath.Join(tmp, "rw"), filepath.Join(tmp, "src")
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "GOFLAGS=-trimpath", "CGO_ENABLED=0",
		"GOTOOLCHAIN=local", "GOENV=off", "GOPROXY=off", "GOWORK=off"}
	run := func(dir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, append(base, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// The warm tier is "go build std" of this go command, made once and
	// shared through the fixture store, read-only (root ignores the modes;
	// the helper is told to write elsewhere, as on a read-only root).
	ver := run(tmp, nil, "env", "GOVERSION", "GOROOT")
	warm = filepath.Join(fixture.Dir(t, "cacheprog-warm-std", fixture.Key(ver, strings.Join(base[2:], " ")), func(dir string) error {
		cmd := exec.Command("go", "build", "std")
		cmd.Dir, cmd.Env = tmp, append(base, "GOCACHE="+filepath.Join(dir, "gocache"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build std: %v\n%s", err, out)
		}
		return filepath.Walk(filepath.Join(dir, "gocache"), func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chmod(p, fi.Mode()&^0o222)
		})
	}), "gocache")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module m\n\ngo 1.24\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":0\", nil) }\n"), 0o644)
	env := []string{"GOCACHE=" + warm, "GOROOTIMG_GOCACHE=" + rw, "GOCACHEPROG=" + bin + " -warm " + warm}
	compiled := func(out string) []string {
		var pkgs []string
		for _, m := range regexp.MustCompile(`(?m)/compile .*? -p (\S+) `).FindAllStringSubmatch(out, -1) {
			pkgs = append(pkgs, m[1])
		}
		return pkgs
	}
	out := run(src, env, "build", "-x", "-o", filepath.Join(tmp, "m"), ".")
	if got := compiled(out); len(got) != 1 || got[0] != "main" {
		t.Fatalf("first build of a net/http program compiled %v, want only main", got)
	}
	if m, _ := filepath.Glob(filepath.Join(warm, "*", ".tmp-*")); len(m) != 0 {
		t.Errorf("the helper wrote into the warm tier: %v", m)
	}
	// Corrupt the warm export data of net/url (same size, other bytes) in
	// a copy of the warm tier: the build must compile it again, not use it.
	warm2 := filepath.Join(tmp, "warm2")
	if out, err := exec.Command("cp", "-a", warm, warm2).CombinedOutput(); err != nil {
		t.Fatalf("copying the warm tier: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", warm2).Run() })
	warm = warm2
	env = []string{"GOCACHE=" + warm, "GOROOTIMG_GOCACHE=" + rw, "GOCACHEPROG=" + bin + " -warm " + warm}
	out = run(src, []string{"GOCACHE=" + warm}, "list", "-export", "-f", "{{.Export}}", "net/url")
	exp := strings.TrimSpace(out)
	b, err := os.ReadFile(exp)
	if err != nil || len(b) < 100 {
		t.Fatalf("reading net/url's export data %q: %v", exp, err)
	}
	b[len(b)/2] ^= 0xff
	os.Chmod(exp, 0o644)
	if err := os.WriteFile(exp, b, 0o444); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(rw)
	out = run(src, env, "build", "-x", "-o", filepath.Join(tmp, "m2"), ".")
	if got := compiled(out); !strings.Contains(strings.Join(got, " "), "net/url") {
		t.Errorf("build after corrupting net/url's warm entry compiled %v, want net/url among them", got)
	}
}
