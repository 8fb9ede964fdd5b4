package warmcache

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// goBuild builds the main package in dir into out with the host's go.
func goBuild(t *testing.T, dir, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

// treeState describes every path below dir: mode, modification time and a
// regular file's content hash.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s := fmt.Sprintf("%v %s", fi.Mode(), fi.ModTime().UTC().Format(time.RFC3339Nano))
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out[filepath.ToSlash(rel)] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDriverMatchesRules builds the llb driver from DriverSource and runs
// it over the fake go command's cache; the result must be the cache
// normaliseCache (what Warm applies) makes from the same fake cache.
func TestDriverMatchesRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipping: no go command")
	}
	work := t.TempDir()
	src, err := DriverSource()
	if err != nil {
		t.Fatal(err)
	}
	srcDir := filepath.Join(work, "driver")
	if err := os.Mkdir(srcDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range src {
		if err := os.WriteFile(filepath.Join(srcDir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	driver := filepath.Join(work, "gorootimg-warm")
	goBuild(t, srcDir, driver)
	fakeDir := filepath.Join(work, "fakego")
	if err := os.Mkdir(fakeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fakeDir, "main.go"), []byte(fakeGo), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fakeDir, "go.mod"), []byte("module fakego\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goroot := filepath.Join(work, "goroot")
	goBuild(t, fakeDir, filepath.Join(goroot, "bin", "go"))

	imageTime := time.Date(2026, 8, 28, 16, 20, 6, 0, time.UTC)
	byDriver, byRules := filepath.Join(work, "c1"), filepath.Join(work, "c2")

	cmd := exec.Command(driver, "-time", fmt.Sprint(imageTime.Unix()), "-list", "std", "-dir", work)
	cmd.Env = []string{"GOROOT=" + goroot, "GOCACHE=" + byDriver}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("driver: %v\n%s", err, b)
	}
	cmd = exec.Command(filepath.Join(goroot, "bin", "go"), "build", "std")
	cmd.Env = []string{"GOCACHE=" + byRules}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fake go: %v\n%s", err, b)
	}
	if err := normaliseCache(byRules, imageTime, nil); err != nil {
		t.Fatal(err)
	}
	got, want := treeState(t, byDriver), treeState(t, byRules)
	if len(want) < 5 {
		t.Fatalf("the fake cache has %d paths, want a README, an action entry, an output and directories", len(want))
	}
	if _, ok := want["trim.txt"]; ok {
		t.Fatal("normaliseCache left trim.txt")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("driver's cache = %v\nwant (normaliseCache) %v", got, want)
	}

	// A variant the driver does not build is an error, not a silent skip.
	cmd = exec.Command(driver, "-time", fmt.Sprint(imageTime.Unix()), "-list", "tools")
	cmd.Env = []string{"GOROOT=" + goroot, "GOCACHE=" + filepath.Join(work, "c3")}
	if b, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("driver -list tools succeeded, want an error\n%s", b)
	}
}
