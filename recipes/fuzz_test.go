package recipes

import (
	"strings"
	"testing"
)

// FuzzParse decodes arbitrary recipe YAML. Parse and Validate must not
// panic; a recipe that validates must describe its rules, match paths and
// versions without error, and digest the same when parsed again.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		b, err := builtin.ReadFile(n + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"rules: [{include: [bin/go]}]",
		"rules: [{include: [bin/go], exclude: [x]}]",
		"rules: [{tools: [compile], when: '>= 1.25, < 1.27'}]",
		"rules: [{packages: [std, cmd/...]}]",
		"rules: [{include: ['**/testdata/**']}]",
		"rules: [{include: ['[']}]",
		"rules: [{frob: 1}]",
		"rules: []\n---\nrules: []",
		"extends: ../../etc/passwd\nrules: [{include: [a]}]",
		// An alias bomb: yaml.v3 must refuse it rather than expand it.
		"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nrules: [{include: *d}]",
		"description: !!binary aGVsbG8=\nrules: [{include: [a]}]",
		"rules: [{include: [a], when: '>= 99999999999999999999'}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Errorf("Parse error %q does not name the file", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			return
		}
		d := r.Digest()
		for i := range r.Rules {
			rule := &r.Rules[i]
			if rule.Kind() == "" {
				t.Errorf("rule %d validated without a kind: %+v", i, rule)
			}
			_ = rule.String()
			if _, err := rule.When.Match("go1.22.12"); err != nil {
				t.Errorf("rule %d: condition %q validated but Match(go1.22.12) = %v", i, rule.When, err)
			}
			for _, g := range append(append([]Glob{}, rule.Include...), rule.Exclude...) {
				g.Match("src/cmd/go/internal/work/exec.go")
			}
		}
		r2, err := Parse("fuzz.yaml", data)
		if err != nil {
			t.Fatalf("second Parse = %v, first succeeded", err)
		}
		if d2 := r2.Digest(); d2 != d {
			t.Errorf("Digest differs between two parses: %s, %s", d, d2)
		}
	})
}

// FuzzGlob: Validate and Match never panic, and a pattern that matches a
// path matches everything below it.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"src/cmd", "src/cmd/go/main.go"}, {"**/testdata", "src/a/testdata/x"}, {"src/**/*_test.go", "src/fmt/a_test.go"},
		{"[", "a"}, {"a/**b", "a/b"}, {"/abs", "abs"}, {"a//b", "a/b"}, {"**", ""}, {"*/*/*", "a/b/c/d"},
		// Before matchFrom remembered failures these took minutes to hours
		// (the time grew exponentially with the number of ** elements).
		{"**/**/**/**/**/**/**/**/**/**/**/**/z", strings.Repeat("a/", 40) + "b"},
		{"**/a/**/a/**/a/**/a/**/a/**/a/**/a/**/z", strings.Repeat("a/", 60) + "b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, name string) {
		g := Glob(pat)
		if g.Validate() != nil {
			g.Match(name)
			return
		}
		if g.Match(name) && !g.Match(name+"/child") {
			t.Errorf("Glob(%q) matches %q but not %q", pat, name, name+"/child")
		}
	})
}

// FuzzCondition: a condition that validates can be matched against any
// release version without error.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{">= 1.25", ">= 1.21, < 1.25", "== go1.22.12", "!= 1.22rc1", "", "1.25", ">=", "> 1.2.3.4", "< 1.-1"} {
		f.Add(s, "go1.22.12")
	}
	f.Add(">= 1.25", "go1.26rc1")
	f.Fuzz(func(t *testing.T, cond, version string) {
		c := Condition(cond)
		if c.Validate() != nil {
			c.Match(version)
			return
		}
		if _, err := ParseVersion(version); err != nil {
			return
		}
		if _, err := c.Match(version); err != nil {
			t.Errorf("Condition(%q) validated but Match(%q) = %v", cond, version, err)
		}
	})
}
