package probes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	base := []Result{
		{Probe: "build", Pass: true, Artifacts: map[string]string{"hello": "aa", "server": "bb"}},
		{Probe: "vet", Pass: true},
	}
	for _, tc := range []struct {
		name string
		got  []Result
		want []string
	}{
		{"same", base, nil},
		{"changed artifact", []Result{{Probe: "build", Pass: true, Artifacts: map[string]string{"hello": "aa", "server": "cc"}}, base[1]},
			[]string{"build: artifact server sha256 cc, want bb"}},
		{"missing artifact", []Result{{Probe: "build", Pass: true, Artifacts: map[string]string{"hello": "aa"}}, base[1]},
			[]string{"build: artifact server missing"}},
		{"extra artifact", []Result{{Probe: "build", Pass: true, Artifacts: map[string]string{"hello": "aa", "server": "bb", "x": "1"}}, base[1]},
			[]string{"build: unexpected artifact x"}},
		{"outcome", []Result{base[0], {Probe: "vet", Pass: false, Reason: "boom"}},
			[]string{"vet: pass=false, want pass=true\nboom"}},
		{"missing probe", base[:1], []string{"vet: missing from the second run"}},
		{"extra probe", append(slices.Clone(base), Result{Probe: "new", Pass: true}), []string{"new: missing from the first run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compare(base, tc.got); !slices.Equal(got, tc.want) {
				t.Errorf("Compare = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSuiteNames(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Suite() {
		if seen[p.Name] {
			t.Errorf("probe %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Needs != Std && !slices.Contains(AllCapabilities, p.Needs) {
			t.Errorf("probe %s needs unknown capability %q", p.Name, p.Needs)
		}
	}
	for _, c := range append(slices.Clone(AllCapabilities), Std) {
		if !slices.ContainsFunc(Suite(), func(p Probe) bool { return p.Needs == c }) {
			t.Errorf("no probe checks capability %s", c)
		}
	}
}

func localGOROOT(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// userCache is the go command's own cache: sharing it is safe because these
// runs use the same GOROOT as every other go command here.
func userCache(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Skip(err)
	}
	return strings.TrimSpace(string(out))
}

// TestRunLocal runs a few cheap probes with the local SDK: they pass, the
// artifacts are recorded, and a second run gives the same hashes.
func TestRunLocal(t *testing.T) {
	root := localGOROOT(t)
	ctx := context.Background()
	only := []string{"build", "generate", "fmt/gofmt", "fmt/go", "mod/list"}
	opts := Options{WorkDir: t.TempDir(), GOCACHE: userCache(t), Only: only, Env: os.Environ()}
	first, err := Run(ctx, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range first {
		names = append(names, r.Probe)
		if !r.Pass {
			t.Errorf("probe %s failed: %s", r.Probe, r.Reason)
		}
	}
	if !slices.Equal(names, only) {
		t.Fatalf("ran %v, want %v", names, only)
	}
	if len(first[0].Artifacts) != 5 || first[0].Artifacts["hello"] == "" {
		t.Errorf("build artifacts = %v, want the 5 binaries", first[0].Artifacts)
	}
	if first[1].Artifacts["gen/const_gen.go"] == "missing" {
		t.Errorf("go generate wrote no file")
	}
	opts.WorkDir = t.TempDir()
	second, err := Run(ctx, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(first, second); len(d) > 0 {
		t.Errorf("two runs differ: %q", d)
	}
}

// TestRunWrapAndFailure checks what a wrapping function sees and that a
// failing command becomes a failed Result with a reason.
func TestRunWrapAndFailure(t *testing.T) {
	root := t.TempDir() // no go here: every probe must fail
	var seen [][]string
	opts := Options{
		WorkDir: t.TempDir(), Only: []string{"vet", "cross/windows-amd64"}, Env: []string{"PATH=/usr/bin:/bin", "GOOS=plan9", "GOFLAGS=-x"},
		Wrap: func(ctx context.Context, dir string, env, argv []string) (*exec.Cmd, error) {
			seen = append(seen, append([]string{dir}, append(env, argv...)...))
			return exec.CommandContext(ctx, argv[0], argv[1:]...), nil
		},
	}
	rs, err := Run(context.Background(), root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || len(seen) != 2 {
		t.Fatalf("ran %d probes, wrapped %d, want 2", len(rs), len(seen))
	}
	for _, r := range rs {
		if r.Pass || !strings.Contains(r.Reason, "go ") {
			t.Errorf("probe %s: pass %v reason %q, want a failure naming the command", r.Probe, r.Pass, r.Reason)
		}
	}
	call := seen[0] // cross runs before vet
	if !strings.HasSuffix(call[0], "corpus") {
		t.Errorf("dir = %s, want the corpus module", call[0])
	}
	for _, want := range []string{"GOTOOLCHAIN=local", "GOROOT=" + root, "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", filepath.Join(root, "bin", "go")} {
		if !slices.Contains(call, want) {
			t.Errorf("wrapped call lacks %q: %q", want, call)
		}
	}
	for _, bad := range []string{"GOOS=plan9", "GOFLAGS=-x"} {
		if slices.Contains(call, bad) {
			t.Errorf("wrapped call keeps the caller's %q", bad)
		}
	}
	if _, err := Run(context.Background(), root, Options{WorkDir: t.TempDir(), Capabilities: []Capability{"teleport"}}); err == nil {
		t.Errorf("Run with an unknown capability = nil error")
	}
	if _, err := Run(context.Background(), root, Options{}); err == nil {
		t.Errorf("Run without WorkDir = nil error")
	}
}

// TestRunUserModule builds, vets and tests an extra module the caller
// names, as verify does with a user's own project.
func TestRunUserModule(t *testing.T) {
	root := localGOROOT(t)
	mod := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":       "module user\n\ngo 1.21\n",
		"main.go":      "package main\n\nfunc main() { println(double(2)) }\n\nfunc double(n int) int { return 2 * n }\n",
		"main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestDouble(t *testing.T) {\n\tif double(2) != 4 {\n\t\tt.Fatal(\"double\")\n\t}\n}\n",
		"bad/bad.go":   "package bad\n\nfunc F() {\n\treturn\n\tprintln(\"never\")\n}\n",
	} {
		p := filepath.Join(mod, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	rs, err := Run(context.Background(), root, Options{
		WorkDir: t.TempDir(), GOCACHE: userCache(t), Capabilities: []Capability{Build, Vet, Test},
		Only: []string{"user:" + mod + "/build", "user:" + mod + "/vet", "user:" + mod + "/test"}, UserModules: []string{mod}, Env: os.Environ(),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range rs {
		got[strings.TrimPrefix(r.Probe, "user:"+mod+"/")] = r
	}
	if r := got["build"]; !r.Pass || r.Artifacts["user"] == "" {
		t.Errorf("user build = %+v, want a pass with the user binary", r)
	}
	if r := got["test"]; !r.Pass {
		t.Errorf("user test failed: %s", r.Reason)
	}
	if r := got["vet"]; r.Pass || !strings.Contains(r.Reason, "unreachable code") {
		t.Errorf("user vet = pass %v, reason %q; want vet's unreachable-code complaint", r.Pass, r.Reason)
	}
}

// TestRunTools runs the go tool probes with the local SDK: each passes,
// those whose output is the same bytes for the same binary record it, and
// a second run (a fresh work dir) records the same hashes.
func TestRunTools(t *testing.T) {
	if testing.Short() {
		t.Skip("builds go tools on demand (-short)")
	}
	root := localGOROOT(t)
	ctx := context.Background()
	opts := Options{WorkDir: t.TempDir(), GOCACHE: userCache(t), Capabilities: []Capability{Tools, Profile}, Env: os.Environ()}
	first, err := Run(ctx, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range first {
		names = append(names, r.Probe)
		if !r.Pass {
			t.Errorf("probe %s failed: %s", r.Probe, r.Reason)
		}
		if strings.HasPrefix(r.Probe, "tools/") && r.Probe != "tools/test2json" && r.Artifacts["stdout"] == "" {
			t.Errorf("probe %s recorded no stdout: %v", r.Probe, r.Artifacts)
		}
		if strings.HasPrefix(r.Probe, "profile/") && len(r.Artifacts) != 0 {
			t.Errorf("probe %s recorded artifacts %v; profiles and traces vary between runs", r.Probe, r.Artifacts)
		}
	}
	want := []string{"tools/nm", "tools/objdump", "tools/addr2line", "tools/buildid", "tools/pack", "tools/test2json", "profile/pprof", "profile/trace"}
	if !slices.Equal(names, want) {
		t.Fatalf("ran %v, want %v", names, want)
	}
	opts.WorkDir = t.TempDir()
	second, err := Run(ctx, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(first, second); len(d) > 0 {
		t.Errorf("two runs differ: %q", d)
	}
}

// TestRunPreFails: a probe whose Pre command fails fails with that
// command's reason, without running its own command.
func TestRunPreFails(t *testing.T) {
	root := t.TempDir() // no go here
	rs, err := Run(context.Background(), root, Options{WorkDir: t.TempDir(), Only: []string{"tools/nm"}, Capabilities: []Capability{Tools}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Pass || !strings.Contains(rs[0].Reason, "go build -trimpath -o $OUT/hello ./hello") {
		t.Errorf("Run(tools/nm without go) = %+v, want a failure naming the Pre command", rs)
	}
}

// TestRunTarget: Options.GOOS/GOARCH reach every probe, except those that
// set their own.
func TestRunTarget(t *testing.T) {
	root := t.TempDir()
	got := map[string][]string{}
	opts := Options{WorkDir: t.TempDir(), GOOS: "linux", GOARCH: "arm64", Only: []string{"build", "cross/windows-amd64"},
		Wrap: func(ctx context.Context, dir string, env, argv []string) (*exec.Cmd, error) {
			got[argv[len(argv)-1]] = env
			return exec.CommandContext(ctx, "false"), nil
		}}
	if _, err := Run(context.Background(), root, opts); err != nil {
		t.Fatal(err)
	}
	for last, want := range map[string][]string{"./cov/cmd/tool": {"GOOS=linux", "GOARCH=arm64"}, "./embedded": {"GOOS=windows", "GOARCH=amd64"}} {
		for _, w := range want {
			if !slices.Contains(got[last], w) {
				t.Errorf("probe ending in %s: env %q lacks %s", last, got[last], w)
			}
		}
	}
}
