package recipes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuiltins(t *testing.T) {
	if !slices.Contains(Names(), Default) {
		t.Fatalf("Names() = %v lacks Default %q", Names(), Default)
	}
	digests := map[string]string{}
	for _, n := range Names() {
		r, err := Lookup(n)
		if err != nil {
			t.Fatalf("Lookup(%q) = %v", n, err)
		}
		if r.Name != n || r.Description == "" || len(r.Capabilities) == 0 {
			t.Errorf("Lookup(%q) = name %q, description %q, capabilities %v; want all set", n, r.Name, r.Description, r.Capabilities)
		}
		d := r.Digest()
		if !strings.HasPrefix(d, "sha256:") || len(d) != 71 {
			t.Errorf("Lookup(%q).Digest() = %q", n, d)
		}
		if other, ok := digests[d]; ok {
			t.Errorf("recipes %s and %s have the same digest", n, other)
		}
		digests[d] = n
	}
	min, _ := Lookup("minimal")
	if !min.PrunesPlatform() || !min.Strips() {
		t.Errorf("minimal: platform-prune %v strip %v, want both", min.PrunesPlatform(), min.Strips())
	}
	// A recipe promises cross exactly when it keeps every platform, and
	// says so in its scope; the default is one of them.
	for _, n := range Names() {
		r, _ := Lookup(n)
		cross := slices.Contains(r.Capabilities, "cross")
		if cross == r.PrunesPlatform() {
			t.Errorf("%s: promises cross = %v, prunes platforms = %v; want exactly one", n, cross, r.PrunesPlatform())
		}
		want := ScopeAllPlatforms
		if r.PrunesPlatform() {
			want = ScopePlatformOnly
			if !strings.Contains(r.Description, ScopePlatformOnly) && !strings.Contains(r.Description, "own platform only") {
				t.Errorf("%s prunes platforms but its description does not say so: %q", n, r.Description)
			}
		}
		if r.Scope() != want {
			t.Errorf("Lookup(%q).Scope() = %q, want %q", n, r.Scope(), want)
		}
	}
	def, _ := Lookup(Default)
	if def.PrunesPlatform() {
		t.Errorf("the default recipe %s prunes platforms; CI jobs cross-compile", Default)
	}
	// ci-native is ci for one platform: the same rules and promises but cross.
	ci, _ := Lookup("ci")
	native, _ := Lookup("ci-native")
	sameRules := slices.EqualFunc(native.Rules, ci.Rules, func(a, b Rule) bool { return a.String() == b.String() })
	if !sameRules || !native.PrunesPlatform() {
		t.Errorf("ci-native: %d rules (ci %d), prunes %v; want ci's rules, pruned", len(native.Rules), len(ci.Rules), native.PrunesPlatform())
	}
	for _, v := range []string{"go1.22.12", "go1.26.11"} {
		c, _ := ci.CapabilitiesFor(v)
		n, _ := native.CapabilitiesFor(v)
		if !slices.Equal(slices.DeleteFunc(slices.Clone(c), func(s string) bool { return s == "cross" }), n) {
			t.Errorf("%s: ci-native promises %v, want ci's %v without cross", v, n, c)
		}
	}
}

func TestCapabilitiesFor(t *testing.T) {
	ci, err := Lookup("ci")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version     string
		tools, prof bool
	}{
		{"go1.21.13", true, false},
		{"go1.24.13", true, false},
		{"go1.25.0", true, true},
		{"go1.26.11", true, true},
	} {
		got, err := ci.CapabilitiesFor(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(got, "tools") != tc.tools || slices.Contains(got, "profile") != tc.prof {
			t.Errorf("ci.CapabilitiesFor(%q) = %v, want tools %v, profile %v", tc.version, got, tc.tools, tc.prof)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
			t.Errorf("ci.CapabilitiesFor(%q) = %v has duplicates", tc.version, got)
		}
	}
	if _, err := ci.CapabilitiesFor("nonsense"); err == nil {
		t.Errorf("CapabilitiesFor(nonsense) = nil error")
	}
	// A child that sets its own capabilities does not inherit the
	// conditional ones; one that sets neither inherits both.
	dir := t.TempDir()
	own := filepath.Join(dir, "own.yaml")
	os.WriteFile(own, []byte("extends: ci\ncapabilities: [build]\nrules: []\n"), 0o644)
	inherit := filepath.Join(dir, "inherit.yaml")
	os.WriteFile(inherit, []byte("extends: ci\nrules: []\n"), 0o644)
	r, err := Lookup(own)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.CapabilitiesFor("go1.26.11"); !slices.Equal(got, []string{"build"}) {
		t.Errorf("own capabilities: CapabilitiesFor = %v, want [build]", got)
	}
	r, err = Lookup(inherit)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.CapabilitiesFor("go1.26.11"); !slices.Contains(got, "profile") {
		t.Errorf("inherited capabilities: CapabilitiesFor = %v, want profile among them", got)
	}
}

func TestLookupErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown-key.yaml", "description: x\nfrobnicate: 1\nrules:\n  - include: [bin]\n", "line 2: field frobnicate not found"},
		{"unknown-rule-key.yaml", "rules:\n  - include: [bin]\n  - exclud: [src]\n", `line 3: unknown rule key "exclud"`},
		{"two-kinds.yaml", "rules:\n  - include: [bin]\n    tools: [vet]\n", "want exactly one of include, exclude, packages, tools; found 2"},
		{"no-kind.yaml", "rules:\n  - when: '>= 1.25'\n", "found 0"},
		{"bad-glob.yaml", "rules:\n  - include: ['src/a**b']\n", "** must be a whole path element"},
		{"bad-when.yaml", "rules:\n  - include: [bin]\n    when: 'about 1.25'\n", "needs an operator"},
		{"no-rules.yaml", "description: nothing\n", "no rules"},
		{"bad-parent.yaml", "extends: nosuch\nrules: []\n", `recipe "nosuch": no such built-in recipe`},
		{"empty.yaml", "", "empty file"},
		{"two-docs.yaml", "rules: [{include: [bin]}]\n---\nrules: []\n", "more than one YAML document"},
		{"when-no-cond.yaml", "capabilities-when: [{capabilities: [profile]}]\nrules: [{include: [bin]}]\n", "needs capabilities and a when condition"},
		{"when-bad-cond.yaml", "capabilities-when: [{capabilities: [profile], when: 'soon'}]\nrules: [{include: [bin]}]\n", "needs an operator"},
		{"when-bad-cap.yaml", "capabilities-when: [{capabilities: ['a b'], when: '>= 1.25'}]\nrules: [{include: [bin]}]\n", `capability "a b"`},
		{"other-platforms-include.yaml", "rules:\n  - include: [src]\n    other-platforms: true\n", "other-platforms narrows an exclude rule"},
		{"when-unknown.yaml", "capabilities-when: [{capability: profile, when: '>= 1.25'}]\nrules: [{include: [bin]}]\n", "field capability not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lookup(write(tc.name, tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Lookup(%s) = %v, want error containing %q", tc.name, err, tc.want)
			}
		})
	}
	if _, err := Lookup("nosuch"); err == nil || !strings.Contains(err.Error(), "full, slim, ci, ci-native, build, minimal") {
		t.Errorf("Lookup(nosuch) = %v, want the list of built-ins", err)
	}
}

func TestExtends(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.yaml")
	os.WriteFile(p, []byte("description: mine\nextends: build\nstrip: true\nrules:\n  - include: [lib/time]\n    when: '>= 1.22'\n"), 0o644)
	r, err := Lookup(p)
	if err != nil {
		t.Fatal(err)
	}
	build, _ := Lookup("build")
	if len(r.Rules) != len(build.Rules)+1 {
		t.Fatalf("extended recipe has %d rules, want %d", len(r.Rules), len(build.Rules)+1)
	}
	last := r.Rules[len(r.Rules)-1]
	if last.Kind() != "include" || last.Source != "mine.yaml:5" || last.When != ">= 1.22" {
		t.Errorf("last rule = %+v (source %q)", last, last.Source)
	}
	if !slices.Equal(r.Capabilities, build.Capabilities) || !r.Strips() || r.PrunesPlatform() {
		t.Errorf("inheritance: capabilities %v strip %v prune %v", r.Capabilities, r.Strips(), r.PrunesPlatform())
	}
	// A file extending a file, relative to itself; and a cycle.
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte("extends: ./mine.yaml\nrules: []\n"), 0o644)
	c, err := Lookup(filepath.Join(dir, "child.yaml"))
	if err != nil || c.Digest() != r.Digest() {
		t.Errorf("child extending mine: %v, digest %s, want %s", err, c.Digest(), r.Digest())
	}
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("extends: ./b.yaml\nrules: []\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("extends: ./a.yaml\nrules: []\n"), 0o644)
	if _, err := Lookup(filepath.Join(dir, "a.yaml")); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("Lookup(a.yaml) = %v, want an extends cycle error", err)
	}
}

func TestDigest(t *testing.T) {
	ci, _ := Lookup("ci")
	dir := t.TempDir()
	b, _ := builtin.ReadFile("ci.yaml")
	copyPath := filepath.Join(dir, "renamed.yaml")
	os.WriteFile(copyPath, []byte("# a renamed copy\n"+strings.Replace(string(b), "description:", "description: other", 1)), 0o644)
	cp, err := Lookup(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Digest() != ci.Digest() {
		t.Errorf("renamed copy digest %s, want %s", cp.Digest(), ci.Digest())
	}
	before := ci.Digest()
	if err := ci.Validate(); err != nil || ci.Digest() != before {
		t.Errorf("Validate changed the recipe or failed: %v", err)
	}
	ci.Rules[len(ci.Rules)-1].When = ">= 1.24"
	if ci.Digest() == before {
		t.Errorf("changing a condition did not change the digest")
	}
	ci.Rules[len(ci.Rules)-1].When = ">= 1.25"
	ci.CapabilitiesWhen[0].When = ">= 1.24"
	if ci.Digest() == before {
		t.Errorf("changing a capability condition did not change the digest")
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		glob, name string
		want       bool
	}{
		{"bin/go", "bin/go", true},
		{"bin/go", "bin/gofmt", false},
		{"src/cmd", "src/cmd/go/main.go", true},
		{"src/cmd/**", "src/cmd/go/main.go", true},
		{"src/cmd", "src/cmdx/a.go", false},
		{"**/testdata", "src/fmt/testdata/x.txt", true},
		{"**/testdata", "src/fmt/print.go", false},
		{"src/**/*_test.go", "src/fmt/print_test.go", true},
		{"src/**/*_test.go", "src/a/b/c/d_test.go", true},
		{"src/**/*_test.go", "test/x_test.go", false},
		{"**", "anything/at/all", true},
		{"pkg/tool/*/vet", "pkg/tool/linux_amd64/vet", true},
		{"pkg/tool/*/vet", "pkg/tool/linux_amd64/vettool", false},
		{"*.md", "README.md", true},
		{"*.md", "doc/x.md", false},
		{"src/**/go.mod", "src/go.mod", true},
	} {
		if got := Glob(tc.glob).Match(tc.name); got != tc.want {
			t.Errorf("Glob(%q).Match(%q) = %v, want %v", tc.glob, tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "/abs", "trailing/", "a//b", "../up", "a/**b", "[x"} {
		if Glob(bad).Validate() == nil {
			t.Errorf("Glob(%q).Validate() = nil, want an error", bad)
		}
	}
}

func TestCondition(t *testing.T) {
	for _, tc := range []struct {
		cond, version string
		want          bool
	}{
		{"", "go1.21.0", true},
		{">= 1.25", "go1.25.0", true},
		{">= 1.25", "go1.24.13", false},
		{">= 1.25", "go1.26.8", true},
		{">= 1.25", "go1.25rc1", false},
		{"< 1.25", "go1.24.13", true},
		{">= 1.21, < 1.25", "go1.22.12", true},
		{">= 1.21, < 1.25", "go1.25.1", false},
		{"== 1.22.12", "go1.22.12", true},
		{"!= 1.22.12", "go1.22.12", false},
		{"> 1.22", "go1.22.1", true},
		{"<= 1.22", "go1.22.0", true},
	} {
		got, err := Condition(tc.cond).Match(tc.version)
		if err != nil || got != tc.want {
			t.Errorf("Condition(%q).Match(%q) = %v, %v, want %v", tc.cond, tc.version, got, err, tc.want)
		}
	}
	for _, bad := range []string{"1.25", ">= x", ">= 1", "=> 1.25"} {
		if Condition(bad).Validate() == nil {
			t.Errorf("Condition(%q).Validate() = nil, want an error", bad)
		}
	}
}
