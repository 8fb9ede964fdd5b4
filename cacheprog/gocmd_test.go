package cacheprog

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// frontDir holds the front frontBin built; TestMain removes it.
var frontDir string

// frontBin builds the front once per test binary with the go command on
// PATH, for this host, as bin/go of a directory of its own.
var frontBin = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT", "GOCACHE").Output()
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	dir, err := os.MkdirTemp("", "gofront-test-")
	if err != nil {
		return "", err
	}
	frontDir = dir
	bin := filepath.Join(dir, "bin", "go")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	return bin, Build(context.Background(), f[0], runtime.GOOS, runtime.GOARCH, bin, f[1], os.Environ())
})

func TestMain(m *testing.M) {
	code := m.Run()
	if frontDir != "" {
		os.RemoveAll(frontDir)
	}
	os.Exit(code)
}

// roRun runs the front with args and env in a mount namespace of its own
// where the directory ro is a read-only bind mount (what a read-only root
// is to the go command, root included).
func roRun(ro, dir string, env []string, front string, args ...string) *exec.Cmd {
	script := `mount -o bind,ro "$0" "$0" && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "sh", "-c", script, ro, front}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

// TestGoCommand drives the front with the real go command and a warm
// cache made by "go build std", made read-only: a net/http program's
// build compiles only package main; later calls reuse the link farm;
// concurrent first calls make one; the go command's trim would remove
// the links, and the front keeps it from doing so; a farm of another
// container is made again without its links; without a writable
// directory a build stops with one line; a writable GOCACHE is left alone.
func TestGoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds std once into the fixture store (a minute or more)")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root for a read-only bind mount (unshare -m)")
	}
	front, err := frontBin()
	if err != nil {
		t.Fatalf("building the front: %v", err)
	}
	tmp := t.TempDir()
	testenv.GoTelemetryOff(t, tmp) // tmp is the go command's HOME
	src := filepath.Join(tmp, "src")
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "GOFLAGS=-trimpath", "CGO_ENABLED=0",
		"GOTOOLCHAIN=local", "GOENV=off", "GOPROXY=off", "GOWORK=off"}
	ver, err := exec.Command("go", "env", "GOVERSION", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	goroot := strings.Fields(string(ver))[1]
	// The warm cache is "go build std" of this go command, made once and
	// shared through the fixture store.
	warm := filepath.Join(fixture.Dir(t, "cacheprog-warm-std", fixture.Key(string(ver), strings.Join(base[2:], " ")), func(dir string) error {
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
	envFor := func(tmpdir string) []string {
		return append(base[1:len(base):len(base)], "PATH="+filepath.Dir(front)+":"+os.Getenv("PATH"),
			"GOROOT="+goroot, "GOCACHE="+warm, "TMPDIR="+tmpdir)
	}
	run := func(env []string, args ...string) string {
		t.Helper()
		out, err := roRun(warm, src, env, front, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	compiled := func(out string) []string {
		var pkgs []string
		for _, m := range regexp.MustCompile(`(?m)/compile .*? -p (\S+) `).FindAllStringSubmatch(out, -1) {
			pkgs = append(pkgs, m[1])
		}
		return pkgs
	}
	t1 := filepath.Join(tmp, "t1")
	os.Mkdir(t1, 0o755)
	env := envFor(t1)
	farm := filepath.Join(t1, fmt.Sprintf("gorootimg-go-build-%d", os.Getuid()))
	out := run(env, "build", "-x", "-o", filepath.Join(tmp, "m"), ".")
	if got := compiled(out); len(got) != 1 || got[0] != "main" {
		t.Fatalf("first build of a net/http program compiled %v, want only main", got)
	}
	checkFarm(t, "the first call's farm", warm, farm)
	stamp := filepath.Join(farm, "gorootimg-stamp")
	st1, err := os.Stat(stamp)
	if err != nil {
		t.Fatalf("no stamp after the first call: %v", err)
	}

	// A second call reuses the farm, and the main package's entry, and
	// keeps the go command from trimming it (trim.txt half a day old). A
	// warm file of an image is as old as its release: a link to an old
	// file stands for it (the fixture's files are new).
	oldFile, oldLink := filepath.Join(tmp, "old-d"), filepath.Join(farm, "00", strings.Repeat("0", 64)+"-d")
	os.WriteFile(oldFile, nil, 0o444)
	month := time.Now().Add(-30 * 24 * time.Hour)
	os.Chtimes(oldFile, month, month)
	if err := os.Symlink(oldFile, oldLink); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-13 * time.Hour)
	os.WriteFile(filepath.Join(farm, "trim.txt"), []byte("0"), 0o666)
	os.Chtimes(filepath.Join(farm, "trim.txt"), old, old)
	out = run(env, "build", "-x", "-o", filepath.Join(tmp, "m"), ".")
	if got := compiled(out); len(got) != 0 {
		t.Errorf("second build compiled %v, want nothing", got)
	}
	if st2, err := os.Stat(stamp); err != nil || !os.SameFile(st1, st2) {
		t.Errorf("the second call made the farm again (stamp %v)", err)
	}
	checkFarm(t, "after a build with an old trim.txt, the farm", warm, farm)
	if _, err := os.Lstat(oldLink); err != nil {
		t.Errorf("a build with an old trim.txt removed a link to an old file: %v", err)
	}

	// Concurrent first calls make one farm, all of it.
	t2 := filepath.Join(tmp, "t2")
	os.Mkdir(t2, 0o755)
	var wg sync.WaitGroup
	outs := make([]string, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := roRun(warm, src, envFor(t2), front, "env", "GOCACHE").CombinedOutput()
			outs[i], errs[i] = strings.TrimSpace(string(b)), err
		}()
	}
	wg.Wait()
	farm2 := filepath.Join(t2, fmt.Sprintf("gorootimg-go-build-%d", os.Getuid()))
	for i := range outs {
		if errs[i] != nil || outs[i] != farm2 {
			t.Errorf("concurrent go env GOCACHE #%d = %q, %v; want %q", i, outs[i], errs[i], farm2)
		}
	}
	checkFarm(t, "after concurrent first calls, the farm", warm, farm2)

	// No writable directory: one line that says what to do; commands that
	// need no build cache still run.
	ro := envFor(warm)
	b, err := roRun(warm, src, ro, front, "build", "-o", filepath.Join(tmp, "m3"), ".").CombinedOutput()
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); err == nil || len(lines) != 1 ||
		!strings.Contains(lines[0], "no writable build cache") || !strings.Contains(lines[0], "GOROOTIMG_GOCACHE") {
		t.Errorf("build without a writable directory: %v, output %q; want one line naming GOROOTIMG_GOCACHE", err, b)
	}
	if out := run(ro, "version"); !strings.HasPrefix(out, "go version ") {
		t.Errorf("go version without a writable directory = %q", out)
	}
	// GOROOTIMG_GOCACHE is used first.
	own := filepath.Join(tmp, "own")
	if out := strings.TrimSpace(run(append(envFor(t1), "GOROOTIMG_GOCACHE="+own), "env", "GOCACHE")); out != own {
		t.Errorf("go env GOCACHE with GOROOTIMG_GOCACHE = %q, want %q", out, own)
	}

	// A writable GOCACHE is the go command's own.
	rw := filepath.Join(tmp, "rw")
	cmd := exec.Command(front, "env", "GOCACHE")
	cmd.Env = append(envFor(t1)[:len(envFor(t1)):len(envFor(t1))], "GOCACHE="+rw)
	if b, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != rw {
		t.Errorf("go env GOCACHE with a writable GOCACHE = %q, %v; want %q", b, err, rw)
	}

	// What the front guards against: the go command's trim reads an
	// entry's time through the link (the warm file's, long past) and
	// removes the links once trim.txt is a day old.
	os.WriteFile(filepath.Join(farm, "trim.txt"), []byte("0"), 0o666)
	direct := roRun(warm, src, envFor(t1), filepath.Join(goroot, "bin", "go"), "build", "-o", filepath.Join(tmp, "m"), ".")
	direct.Env = append(direct.Env, "GOCACHE="+farm)
	if b, err := direct.CombinedOutput(); err != nil {
		t.Fatalf("go build with the farm as GOCACHE: %v\n%s", err, b)
	}
	if _, err := os.Lstat(oldLink); err == nil {
		t.Errorf("the go command's own trim kept the link to an old file: the front's trim.txt guard is not needed")
	}

	// A farm of another container (another stamp) is made again: its
	// links go, so that none dangles (a write through one would fail).
	dangling := filepath.Join(farm, "01", strings.Repeat("1", 64)+"-a")
	os.Symlink(filepath.Join(tmp, "gone"), dangling)
	os.WriteFile(stamp, []byte("another container"), 0o666)
	run(env, "env", "GOCACHE")
	if _, err := os.Lstat(dangling); err == nil {
		t.Errorf("a remade farm kept a dangling link of the earlier one")
	}
	checkFarm(t, "the remade farm", warm, farm)
}

// checkFarm fails unless farm has each of warm's entries: a copy of each
// action entry (-a), a link to each output (-d).
func checkFarm(t *testing.T, what, warm, farm string) {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(warm, "[0-9a-f][0-9a-f]", "*-[ad]"))
	if err != nil || len(m) < 100 {
		t.Fatalf("the warm cache has %d entries: %v", len(m), err)
	}
	bad := 0
	for _, p := range m {
		rel, _ := filepath.Rel(warm, p)
		fi, err := os.Lstat(filepath.Join(farm, rel))
		link := err == nil && fi.Mode()&os.ModeSymlink != 0
		if err != nil || link != strings.HasSuffix(p, "-d") {
			bad++
		}
	}
	if bad != 0 {
		t.Errorf("%s lacks %d of the %d warm entries (or has an output not linked, an action entry linked)", what, bad, len(m))
	}
}
