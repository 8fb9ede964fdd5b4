package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
)

// Environment knobs, for hack/fidelity.sh:
//
//	GOROOTIMG_FIDELITY_RELEASES  comma-separated --go values (default "1.21,1.26":
//	                             the newest patch of the oldest and newest supported lines)
//	GOROOTIMG_FIDELITY_RECIPES   recipes to prove on every release (default: on the newest
//	                             release "full,ci,minimal", on the older ones "full,ci":
//	                             the default recipe everywhere; build is proven by verify's
//	                             TestVerifyRecipes, minimal sandboxed with gcc by cmd/gorootimg's
//	                             TestBuildKitEndToEnd, and slim, ci-native and every recipe on
//	                             every release by hack/fidelity.sh)
//	GOROOTIMG_FIDELITY_OUT       file to append one JSON line per (release, recipe) to
//
// The default keeps the test suite inside its CI budget: each (release,
// recipe) pair costs a cold probe run of minutes on two cores, so the
// oldest line proves the default recipe, and hack/fidelity.sh the rest.
const (
	defaultReleases     = "1.21,1.26"
	defaultRecipes      = "full,ci,minimal"
	defaultOlderRecipes = "full,ci"
)

// Row is one line of the results table.
type Row struct {
	Release   string `json:"release"`
	Recipe    string `json:"recipe"`
	FullBytes int64  `json:"full_bytes"`
	KeptBytes int64  `json:"kept_bytes"`
	Probes    int    `json:"probes"`    // probes compared
	Artifacts int    `json:"artifacts"` // artifacts compared
	Identical int    `json:"identical"` // artifacts byte-identical
	Same      int    `json:"same"`      // probes with the same outcome
	Note      string `json:"note,omitempty"`
}

func listEnv(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// sdkOptions configures sdk.Resolve the way cmd/gorootimg does
// (sdktest.Options: 'go env' and the shared download cache), skipping when
// the module proxy does not answer.
func sdkOptions(t *testing.T) sdk.Options {
	t.Helper()
	o := sdktest.Options(t)
	o.Logf = t.Logf
	return o
}

// capsOf returns what r promises for a release.
func capsOf(t *testing.T, r *recipes.Recipe, version string) []probes.Capability {
	t.Helper()
	names, err := r.CapabilitiesFor(version)
	if err != nil {
		t.Fatal(err)
	}
	var out []probes.Capability
	for _, c := range names {
		out = append(out, probes.Capability(c))
	}
	return out
}

// needs maps probe names to the capability they check.
func needs() map[string]probes.Capability {
	m := map[string]probes.Capability{}
	for _, p := range probes.Suite() {
		m[p.Name] = p.Needs
	}
	return m
}

// filter keeps the results of probes that check one of caps.
func filter(rs []probes.Result, caps []probes.Capability) []probes.Result {
	n := needs()
	var out []probes.Result
	for _, r := range rs {
		if slices.Contains(caps, n[r.Probe]) {
			out = append(out, r)
		}
	}
	return out
}

// TestFidelity proves each recipe's promise on the probe corpus: with the
// pruned GOROOT, every probe the recipe promises gives the same outcome as
// with the full SDK, and every artifact has the same sha256. The minimal
// recipe must also build all of std with cgo off and on.
func TestFidelity(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the probe corpus with real Go releases; skipped with -short")
	}
	opts := sdkOptions(t)
	ctx := context.Background()
	rels := listEnv("GOROOTIMG_FIDELITY_RELEASES", defaultReleases)
	for i, rel := range rels {
		def := defaultOlderRecipes
		if i == len(rels)-1 {
			def = defaultRecipes
		}
		t.Run(rel, func(t *testing.T) {
			// The release lines share nothing (own SDK, own trees, own
			// GOCACHEs): in parallel they keep both cores busy through
			// each other's serial links and go command starts.
			t.Parallel()
			fidelity(ctx, t, rel, listEnv("GOROOTIMG_FIDELITY_RECIPES", def), opts)
		})
	}
}

// record logs a row of the results table as soon as it is known and
// appends it to GOROOTIMG_FIDELITY_OUT, so a long run that is stopped
// keeps what it proved.
func record(t *testing.T, r Row) {
	t.Logf("%s %-8s %6.1f MB of %6.1f MB (%4.1f%%)  probes %d/%d same, artifacts %d/%d identical %s",
		r.Release, r.Recipe, float64(r.KeptBytes)/1e6, float64(r.FullBytes)/1e6, 100*float64(r.KeptBytes)/float64(r.FullBytes),
		r.Same, r.Probes, r.Identical, r.Artifacts, r.Note)
	out := os.Getenv("GOROOTIMG_FIDELITY_OUT")
	if out == "" {
		return
	}
	if t.Failed() {
		r.Note = "FAILED"
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	fmt.Fprintf(f, "%s\n", b)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func fidelity(ctx context.Context, t *testing.T, rel string, recipeNames []string, opts sdk.Options) {
	sdks, err := sdk.Resolve(ctx, rel, []v1.Platform{imageref.HostPlatform()}, opts)
	if err != nil {
		t.Fatalf("sdk.Resolve(%q) = %v", rel, err)
	}
	s := sdks[0]
	target := s.Tree()
	var rs []*recipes.Recipe
	var union []probes.Capability
	for _, name := range recipeNames {
		r, err := recipes.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
		if name == "full" {
			continue // proven by construction below, not by probes
		}
		for _, c := range capsOf(t, r, s.Version) {
			if !slices.Contains(union, c) {
				union = append(union, c)
			}
		}
	}
	work := t.TempDir()
	env := os.Environ()
	var base []probes.Result
	if len(union) > 0 {
		base = fullReference(ctx, t, s, union, filepath.Join(work, "full"), env)
		for _, r := range base {
			if !r.Pass {
				t.Errorf("%s: probe %s fails with the full SDK: %s", s.Version, r.Probe, r.Reason)
			}
		}
	}
	for _, r := range rs {
		plan, err := prune.Resolve(ctx, target, r)
		if err != nil {
			t.Fatalf("prune.Resolve(%s, %s) = %v", s.Version, r.Name, err)
		}
		row := Row{Release: s.Version, Recipe: r.Name, FullBytes: plan.All.Bytes(), KeptBytes: plan.Kept.Bytes()}
		if r.Name == "full" {
			if len(plan.Dropped) != 0 || len(plan.Stripped) != 0 {
				t.Errorf("%s: full drops %d files and strips %d, want none", s.Version, len(plan.Dropped), len(plan.Stripped))
			}
			row.Note = "same files as the SDK"
			record(t, row)
			continue
		}
		t.Run(r.Name, func(t *testing.T) { prove(ctx, t, s, r, plan, base, filepath.Join(work, r.Name), row) })
	}
	if slices.ContainsFunc(base, func(r probes.Result) bool { return r.Probe == "tools/nm" }) {
		t.Run("sabotage", func(t *testing.T) { sabotage(ctx, t, target, base, work) })
	}
}

// fullReference runs the probes that check caps with the full SDK, or
// reads their results from the fixture store, where they are kept by the
// SDK's hash, the corpus, the host's C compiler and caps (unsandboxed).
// The suite's one cold reference is cmd/gorootimg's BuildKit end-to-end
// verify; this one is cold only on a cold store (CI's fresh machine).
func fullReference(ctx context.Context, t *testing.T, s *sdk.SDK, caps []probes.Capability, dir string, env []string) []probes.Result {
	t.Helper()
	run := func() ([]probes.Result, error) {
		t.Logf("%s: running the probes (%v) with the full SDK", s.Version, caps)
		gocache, _ := fixture.ReferenceBuildCache(t, s.Hash)
		return probes.Run(ctx, s.Dir, probes.Options{WorkDir: dir, GOCACHE: gocache, Capabilities: caps, Env: env})
	}
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = string(c)
	}
	slices.Sort(names)
	key, ok := fixture.ProbeKey(t, s.Hash, "none", "fidelity", s.Platform().String(), strings.Join(names, ","))
	var res []probes.Result
	if ok && fixture.LoadJSON(t, "probe-reference", key, &res) {
		t.Logf("%s: the full SDK's results of the probes (%v) from the fixture store", s.Version, caps)
		return res
	}
	res, err := run()
	if err != nil {
		t.Fatal(err)
	}
	// Only a reference where every probe passed is kept: a failure (a
	// network hiccup in a module download) must not outlive its run.
	if ok && !slices.ContainsFunc(res, func(r probes.Result) bool { return !r.Pass }) {
		fixture.SaveJSON(t, "probe-reference", key, res)
	}
	return res
}

// prove applies one recipe into dir, runs the probes it promises with the
// pruned tree and compares them with the full SDK's results (base).
func prove(ctx context.Context, t *testing.T, s *sdk.SDK, r *recipes.Recipe, plan *prune.Plan, base []probes.Result, dir string, row Row) {
	files, err := prune.Apply(ctx, plan, filepath.Join(dir, "transformed"))
	if err != nil {
		t.Fatal(err)
	}
	goroot := filepath.Join(dir, "goroot")
	if err := prune.Materialize(ctx, files, goroot); err != nil {
		t.Fatal(err)
	}
	caps := capsOf(t, r, s.Version)
	if r.Name == "minimal" {
		caps = append(caps, probes.Std)
	}
	t.Logf("%s: running the probes (%v) with recipe %s", s.Version, caps, r.Name)
	got, err := probes.Run(ctx, goroot, probes.Options{WorkDir: dir, Capabilities: caps, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	var gotCmp []probes.Result
	for _, g := range got {
		if strings.HasPrefix(g.Probe, "std/") {
			if !g.Pass {
				t.Errorf("%s: %s: go build std fails with recipe %s: %s", s.Version, g.Probe, r.Name, g.Reason)
			}
			continue
		}
		gotCmp = append(gotCmp, g)
	}
	want := filter(base, caps)
	for _, d := range probes.Compare(want, gotCmp) {
		t.Errorf("%s recipe %s: %s", s.Version, r.Name, d)
	}
	row.Probes = len(want)
	wantByName := map[string]probes.Result{}
	for _, w := range want {
		wantByName[w.Probe] = w
	}
	for _, g := range gotCmp {
		w := wantByName[g.Probe]
		if w.Pass == g.Pass {
			row.Same++
		}
		for a, sum := range w.Artifacts {
			row.Artifacts++
			if g.Artifacts[a] == sum {
				row.Identical++
			}
		}
	}
	record(t, row)
}

// sabotage shows the fidelity check can fail: ci without what a
// capability needs must fail that capability's probe, naming what is
// missing. On Go 1.25+, ci without src/cmd is the naive recipe that drops
// the sources go builds covdata and nm from on demand; before 1.25 the nm
// binary is what go tool nm runs.
func sabotage(ctx context.Context, t *testing.T, target goroot.Tree, base []probes.Result, work string) {
	v, err := recipes.ParseVersion(target.Version)
	if err != nil {
		t.Fatal(err)
	}
	type breakage struct {
		exclude, probe, want string
		needs                probes.Capability
	}
	cases := []breakage{{"pkg/tool/*/nm", "tools/nm", `no such tool "nm"`, probes.Tools}}
	if v.Compare(recipes.Version{Major: 1, Minor: 25}) >= 0 {
		cases = []breakage{{"src/cmd", "coverpkg", "covdata", probes.CoverPkg}, {"src/cmd", "tools/nm", `no such tool "nm"`, probes.Tools}}
	}
	// One broken tree per exclude, all its probes in one run.
	var excludes []string
	for _, c := range cases {
		if !slices.Contains(excludes, c.exclude) {
			excludes = append(excludes, c.exclude)
		}
	}
	for i, ex := range excludes {
		var needs []probes.Capability
		var only []string
		for _, c := range cases {
			if c.exclude == ex {
				needs, only = append(needs, c.needs), append(only, c.probe)
			}
		}
		got := runBroken(ctx, t, target, filepath.Join(work, fmt.Sprintf("sabotage%d", i)), ex, needs, only)
		for _, c := range cases {
			if c.exclude != ex {
				continue
			}
			want := slices.DeleteFunc(filter(base, []probes.Capability{c.needs}), func(r probes.Result) bool { return r.Probe != c.probe })
			one := slices.DeleteFunc(slices.Clone(got), func(r probes.Result) bool { return r.Probe != c.probe })
			diffs := probes.Compare(want, one)
			if len(diffs) == 0 || len(one) != 1 || one[0].Pass || !strings.Contains(one[0].Reason, c.want) {
				t.Errorf("ci without %s on %s: %s = %+v, differences %q; want a failure naming %s", c.exclude, target.Version, c.probe, one, diffs, c.want)
			}
		}
	}
}

// runBroken applies ci minus one exclude pattern and runs the probes only.
func runBroken(ctx context.Context, t *testing.T, target goroot.Tree, dir, exclude string, needs []probes.Capability, only []string) []probes.Result {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, "naive.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf("extends: ci\nrules:\n  - exclude: [%q]\n", exclude)), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := recipes.Lookup(file)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := prune.Resolve(ctx, target, r)
	if err != nil {
		t.Fatal(err)
	}
	files, err := prune.Apply(ctx, plan, filepath.Join(dir, "transformed"))
	if err != nil {
		t.Fatal(err)
	}
	goroot := filepath.Join(dir, "goroot")
	if err := prune.Materialize(ctx, files, goroot); err != nil {
		t.Fatal(err)
	}
	got, err := probes.Run(ctx, goroot, probes.Options{WorkDir: dir, Capabilities: needs, Only: only, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
