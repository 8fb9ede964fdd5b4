package engines

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// auditSteps maps inventory entries to the driver step (testdata/audit)
// that uses each the way a CI pipeline does. A subcommand is "sub-NAME",
// a tool "tool-NAME" (go tool -n NAME); files map to their target's or
// package's standard workflow. An entry that maps to nothing fails the
// test, so a new subcommand or support file gets a step.
func auditSteps(e *recipes.Entry) (steps []string, why string) {
	name := e.Name()
	switch {
	case e.Absent:
		if strings.HasPrefix(name, "misc/wasm") {
			return []string{"wasm-exec-js"}, ""
		}
		return nil, "absent from the SDK as served (the module zip has no misc/)"
	case e.Kind == recipes.KindSubcommand:
		return []string{"sub-" + name}, ""
	case e.Kind == recipes.KindTool && name == "dist":
		return []string{"tool-dist", "dist-list"}, ""
	case e.Kind == recipes.KindTool:
		return []string{"tool-" + name}, ""
	case name == "lib/wasm/go_js_wasm_exec", name == "lib/wasm/wasm_exec_node.js":
		return []string{"wasm-js-test"}, ""
	case name == "lib/wasm/wasm_exec.js":
		return []string{"wasm-exec-js", "wasm-js-test"}, ""
	case name == "lib/wasm/go_wasip1_wasm_exec":
		return []string{"wasip1-build", "wasip1-exec"}, ""
	case name == "lib/time/zoneinfo.zip":
		return []string{"tz", "zoneinfo-file"}, ""
	case strings.HasPrefix(name, "lib/time/"):
		return nil, "maintainer files of lib/time (update.bash, mkzip.go, README)"
	case strings.HasPrefix(name, "lib/fips140/"):
		return []string{"fips140"}, ""
	case strings.HasPrefix(name, "pkg/include/"):
		return []string{"asm-textflag"}, ""
	case name == "go.env", name == "VERSION":
		return []string{"sub-env"}, ""
	case name == "bin/gofmt":
		return []string{"sub-fmt"}, ""
	case name == "LICENSE":
		return nil, "read by cmd/dist only"
	case name == "lib/hg/goreposum.py":
		return nil, "go mod download from Mercurial runs hg and python, which are not here"
	}
	return nil, ""
}

// auditHostTools are mounted read-only into the containers at the same
// paths, with the host's shared libraries, for the js/wasm workflow:
// go_js_wasm_exec is a bash script that runs node.
var auditHostTools = []string{"/usr/bin/node", "/usr/bin/bash", "/usr/bin/env", "/usr/bin/dirname"}

// TestAudit is issue 22's engine proof: for each release line and recipe
// it builds the recipe's image and the full image of the same release,
// runs one real step per inventory entry a CI pipeline uses in podman in
// each, and fails when the outcomes differ, unless the recipe declares
// the entry given up. By default: ci on the oldest and the newest line
// with an inventory; GOROOTIMG_AUDIT_LINES ("1.22,1.26") and
// GOROOTIMG_AUDIT_RECIPES ("ci,slim") choose others (hack/audit.sh runs
// every recipe and line).
func TestAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds and runs images of real Go releases in podman")
	}
	t.Parallel() // beside TestEngines: own podman store, own images
	invs, err := recipes.Inventories()
	if err != nil {
		t.Fatal(err)
	}
	lines := []string{invs[0].Line(), invs[len(invs)-1].Line()}
	if v := os.Getenv("GOROOTIMG_AUDIT_LINES"); v != "" {
		lines = nil
		for _, l := range strings.Split(v, ",") {
			lines = append(lines, "go"+strings.TrimPrefix(strings.TrimSpace(l), "go"))
		}
	}
	recipeNames := []string{"ci"}
	if v := os.Getenv("GOROOTIMG_AUDIT_RECIPES"); v != "" {
		recipeNames = strings.Split(v, ",")
	}
	st := enginetest.NewStore(t)
	a := &auditor{st: st, bin: gorootimg(t), work: t.TempDir(), goEnv: moduleEnv(t)}
	if a.data, err = filepath.Abs("testdata/audit"); err != nil {
		t.Fatal(err)
	}
	a.mounts = hostToolMounts()
	for _, line := range lines {
		inv := slices.IndexFunc(invs, func(i *recipes.Inventory) bool { return i.Line() == line })
		if inv < 0 {
			t.Errorf("GOROOTIMG_AUDIT_LINES: no inventory for %s", line)
			continue
		}
		t.Run(line, func(t *testing.T) {
			a.cache = filepath.Join(a.work, "cache-"+line)
			if err := os.MkdirAll(a.cache, 0o777); err != nil {
				t.Fatal(err)
			}
			full := a.image(t, invs[inv].Release, "full")
			fullRes := a.drive(t, full, invs[inv])
			for _, n := range recipeNames {
				t.Run(n, func(t *testing.T) { a.compare(t, invs[inv], n, fullRes) })
			}
		})
	}
}

type auditor struct {
	// cache is the line's GOCACHE, shared by its containers: what the
	// full image built, the recipe's reuses where its files are the same
	// (a missing file still fails: the go command hashes every source it
	// loads, and tools and support files are never cached).
	cache  string
	st     *enginetest.Store
	bin    string
	work   string
	data   string
	goEnv  []string
	mounts []string
}

// hostToolMounts mounts auditHostTools and the shared libraries they
// load, or nothing when the host lacks node (the js/wasm step then
// reports that it could not run, in both images).
func hostToolMounts() []string {
	var m []string
	for _, p := range auditHostTools {
		if _, err := os.Stat(p); err != nil {
			return nil
		}
		m = append(m, "-v", p+":"+p+":ro")
	}
	for _, d := range []string{"/lib/x86_64-linux-gnu", "/lib64", "/usr/lib/x86_64-linux-gnu"} {
		if real, err := filepath.EvalSymlinks(d); err == nil {
			m = append(m, "-v", real+":"+d+":ro")
		}
	}
	return m
}

// image builds the recipe's image of release as a tarball, loads it into
// podman, and returns its name.
func (a *auditor) image(t *testing.T, release, recipe string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	// A recipe file (hack/audit.sh can prove one) is named by its base name.
	short := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(recipe), ".yaml"), ".yml")
	tag := "go-audit:" + short + "-" + strings.TrimPrefix(release, "go")
	tar := filepath.Join(a.work, short+"-"+release+".tar")
	start := time.Now()
	if _, err := enginetest.Exec(exec.CommandContext(ctx, a.bin, "build", "-q", "--go", strings.TrimPrefix(release, "go"),
		"--platform", "linux/amd64", "--recipe", recipe, "--tarball", tar, "-t", tag)); err != nil {
		t.Fatal(err)
	}
	if _, err := enginetest.Exec(a.st.Podman(ctx, "load", "-i", tar)); err != nil {
		t.Fatal(err)
	}
	os.Remove(tar)
	t.Logf("image %s built and loaded in %v", tag, time.Since(start).Round(time.Second))
	return "localhost/" + tag
}

// auditResult is one line the audit driver prints.
type auditResult struct {
	Step    string  `json:"step"`
	Exit    int     `json:"exit"`
	Seconds float64 `json:"seconds"`
	Output  string  `json:"output"`
	Skip    string  `json:"skip"`
}

// outcome is what is compared: success, skip, or failure (and whether
// the go command found no such tool).
func (r auditResult) outcome() string {
	switch {
	case r.Skip != "":
		return "skipped: " + r.Skip
	case r.Exit == 0:
		return "ok"
	case strings.Contains(r.Output, "no such tool"):
		return fmt.Sprintf("exit %d (no such tool)", r.Exit)
	}
	return fmt.Sprintf("exit %d", r.Exit)
}

// drive runs every step the inventory maps to in one container of image.
func (a *auditor) drive(t *testing.T, image string, inv *recipes.Inventory) map[string]auditResult {
	t.Helper()
	var steps []string
	for i := range inv.Entries {
		s, _ := auditSteps(&inv.Entries[i])
		for _, x := range s {
			if !slices.Contains(steps, x) {
				steps = append(steps, x)
			}
		}
	}
	out, err := os.MkdirTemp(a.work, "out-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(out, 0o1777)
	opts := []string{"--network", "host", "-v", a.data + ":/t:ro", "-v", out + ":/out", "-w", "/t/driver",
		"-v", a.cache + ":/gocache", "-e", "GOCACHE=/gocache"}
	opts = append(append(append(opts, enginetest.HostCAMount()...), a.goEnv...), a.mounts...)
	args := append(append(enginetest.RunArgs(opts...), image, "go", "run", ".", "-C", "/t/mod", "-out", "/out"), steps...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := enginetest.Exec(a.st.Podman(ctx, args...))
	res := map[string]auditResult{}
	sc := bufio.NewScanner(strings.NewReader(r.Stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ar auditResult
		if json.Unmarshal(sc.Bytes(), &ar) == nil && ar.Step != "" {
			res[ar.Step] = ar
		}
	}
	if len(res) == 0 {
		t.Fatalf("the audit driver did not run in %s: %v", image, err)
	}
	var slow []auditResult
	for _, r := range res {
		slow = append(slow, r)
	}
	slices.SortFunc(slow, func(a, b auditResult) int { return int(1000 * (b.Seconds - a.Seconds)) })
	var top []string
	for _, r := range slow[:min(5, len(slow))] {
		top = append(top, fmt.Sprintf("%s %.1fs", r.Step, r.Seconds))
	}
	t.Logf("%s: %d steps in %v (slowest: %s)", image, len(res), time.Since(start).Round(time.Second), strings.Join(top, ", "))
	return res
}

// compare runs the steps in the recipe's image and judges each inventory
// entry: the same outcome as in the full image, or a declared drop.
func (a *auditor) compare(t *testing.T, inv *recipes.Inventory, recipe string, fullRes map[string]auditResult) {
	r, err := recipes.Lookup(recipe)
	if err != nil {
		t.Fatal(err)
	}
	cov, err := r.Coverage(inv)
	if err != nil {
		t.Fatal(err)
	}
	res := a.drive(t, a.image(t, inv.Release, recipe), inv)
	for i := range inv.Entries {
		e := &inv.Entries[i]
		steps, why := auditSteps(e)
		if steps == nil {
			if why == "" {
				t.Errorf("%s: no audit step uses it; add one to testdata/audit/driver and auditSteps", e.ID)
			}
			continue
		}
		ec := cov.Entries[i]
		for _, s := range steps {
			got, want := res[s], fullRes[s]
			row := Row{Result: "pass", Seconds: got.Seconds}
			switch {
			case got.Step == "" || want.Step == "":
				row.Result = "fail"
				t.Errorf("%s %s: the driver did not report step %s", recipe, e.ID, s)
			case got.outcome() == want.outcome():
				row.Note = got.outcome()
			case ec.Status == recipes.Dropped:
				row.Note = "given up: " + ec.Capability
			case r.PrunesPlatform() && (strings.HasPrefix(s, "wasm-js") || strings.HasPrefix(s, "wasip1-build")):
				row.Note = "not promised: the recipe builds for " + r.Scope()
			default:
				row.Result = "fail"
				t.Errorf("%s on %s: %s (step %s): %s, with the full SDK %s:\n%s", recipe, inv.Release, e.ID, s,
					got.outcome(), want.outcome(), enginetest.Tail(got.Output, 1500))
			}
			t.Logf("%s %s: %s %s (%.1fs)", e.ID, s, row.Result, row.Note, row.Seconds)
		}
	}
	t.Logf("%s on %s: %d entries judged", recipe, inv.Release, len(inv.Entries))
}
