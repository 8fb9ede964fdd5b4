package recipes

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Default is the recipe used when none is given.
const Default = "ci"

//go:embed *.yaml
var builtin embed.FS

// Recipe is a parsed recipe with extends resolved: its rules are the
// parent's followed by its own.
type Recipe struct {
	// Name is the built-in name ("ci") or the file the recipe came from.
	Name string `yaml:"-"`
	// Optional: Description is shown by "gorootimg recipes".
	Description string `yaml:"description"`
	// Optional: Extends names a built-in recipe (or a file, relative to this
	// one) whose rules come before this recipe's own.
	Extends string `yaml:"extends"`
	// Optional: PlatformPrune drops source files that no combination of
	// build tags can select for the SDK's GOOS/GOARCH. Inherited unless set.
	PlatformPrune *bool `yaml:"platform-prune"`
	// Optional: Strip removes the symbol tables of the ELF and PE binaries
	// under bin/ and pkg/tool/. Inherited unless set.
	Strip *bool `yaml:"strip"`
	// Optional: Capabilities names what the recipe promises, as probe
	// capabilities (build, cgo, cross, test, race, tools, ...). Inherited,
	// together with CapabilitiesWhen, unless either is set.
	Capabilities []string `yaml:"capabilities"`
	// Optional: CapabilitiesWhen promises more capabilities on some Go
	// releases only (pprof and trace are cheap where Go builds them on
	// demand). CapabilitiesFor applies the conditions.
	CapabilitiesWhen []CapabilityRule `yaml:"capabilities-when"`
	// Optional: WarmCache lists what to build into the image's build cache
	// ("std", "std,race,tools"), as gorootimg build --warm-cache does; the
	// flag overrides it. Inherited unless set.
	WarmCache string `yaml:"warm-cache"`
	// Optional: GivesUp declares the inventory entries (recipes/inventory)
	// the recipe drops on purpose and what a user gives up with them; every
	// other entry must be kept (TestCoverage). Inherited unless set.
	GivesUp []GiveUp `yaml:"gives-up"`
	// Required: Rules select files; for each file the last rule that
	// matches it decides. A file no rule matches is dropped.
	Rules []Rule `yaml:"rules"`
}

// CapabilityRule promises capabilities on the Go releases its condition
// matches.
type CapabilityRule struct {
	// Required: Capabilities are the promised capabilities.
	Capabilities []string `yaml:"capabilities" json:"capabilities"`
	// Required: When is the condition (">= 1.25").
	When Condition `yaml:"when" json:"when"`
}

// Rule is one selection step. Exactly one of Include, Exclude, Packages and
// Tools is set.
type Rule struct {
	// Optional: Include keeps the files matching these patterns.
	Include []Glob `yaml:"include,omitempty" json:"include,omitempty"`
	// Optional: Exclude drops the files matching these patterns.
	Exclude []Glob `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// Optional: Packages keeps the non-test sources of these packages and
	// of everything they import, for any build tags (and for the SDK's
	// platform only when platform-prune is on). "std" is every standard
	// package, "cmd" every command; "cmd/covdata" one package; a trailing
	// "/..." takes the packages below a directory.
	Packages []string `yaml:"packages,omitempty" json:"packages,omitempty"`
	// Optional: Tools keeps these programs of pkg/tool/<goos>_<goarch>.
	Tools []string `yaml:"tools,omitempty" json:"tools,omitempty"`
	// Optional: When restricts the rule to some Go releases (">= 1.25").
	When Condition `yaml:"when,omitempty" json:"when,omitempty"`
	// Optional: OtherPlatforms narrows an exclude rule to the files whose
	// name suffix or build constraints rule out the image's GOOS/GOARCH:
	// race_linux_arm64.syso goes from a linux/amd64 image, and stays in a
	// linux/arm64 one.
	OtherPlatforms bool `yaml:"other-platforms,omitempty" json:"other-platforms,omitempty"`

	// Source is "file:line" where the rule was written, for --why.
	Source string `yaml:"-" json:"-"`
}

// Kind is "include", "exclude", "packages" or "tools".
func (r *Rule) Kind() string {
	switch {
	case r.Include != nil:
		return "include"
	case r.Exclude != nil:
		return "exclude"
	case r.Packages != nil:
		return "packages"
	case r.Tools != nil:
		return "tools"
	}
	return ""
}

// String describes the rule for --why: "ci.yaml:12: packages [std]".
func (r *Rule) String() string {
	var args any
	switch r.Kind() {
	case "include":
		args = r.Include
	case "exclude":
		args = r.Exclude
	case "packages":
		args = r.Packages
	case "tools":
		args = r.Tools
	}
	s := fmt.Sprintf("%s %v", r.Kind(), args)
	if r.OtherPlatforms {
		s += " of other platforms"
	}
	if r.When != "" {
		s += fmt.Sprintf(" when %q", string(r.When))
	}
	if r.Source != "" {
		s = r.Source + ": " + s
	}
	return s
}

var ruleKeys = []string{"include", "exclude", "packages", "tools", "when", "other-platforms"}

// UnmarshalYAML decodes a rule strictly: unknown keys are errors with their
// line, and the rule remembers its own line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a rule is a mapping such as {include: [bin/go]}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(ruleKeys, k.Value) {
			return fmt.Errorf("line %d: unknown rule key %q (want one of %s)", k.Line, k.Value, strings.Join(ruleKeys, ", "))
		}
	}
	type plain Rule
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Rule(p)
	r.Source = fmt.Sprintf("line %d", n.Line)
	// Keep an empty list distinct from an absent one so Kind works.
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "include":
			r.Include = nonNil(r.Include)
		case "exclude":
			r.Exclude = nonNil(r.Exclude)
		case "packages":
			r.Packages = nonNil(r.Packages)
		case "tools":
			r.Tools = nonNil(r.Tools)
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Validate reports the first problem with the recipe. It changes nothing.
func (r *Recipe) Validate() error {
	if len(r.Rules) == 0 {
		return fmt.Errorf("recipe %s: no rules", r.Name)
	}
	for i := range r.Rules {
		rule := &r.Rules[i]
		n := 0
		for _, set := range []bool{rule.Include != nil, rule.Exclude != nil, rule.Packages != nil, rule.Tools != nil} {
			if set {
				n++
			}
		}
		where := fmt.Sprintf("recipe %s: rule at %s", r.Name, rule.Source)
		if n != 1 {
			return fmt.Errorf("%s: want exactly one of include, exclude, packages, tools; found %d", where, n)
		}
		if err := rule.When.Validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if rule.OtherPlatforms && rule.Exclude == nil {
			return fmt.Errorf("%s: other-platforms narrows an exclude rule; use it with exclude", where)
		}
		for _, g := range slices.Concat(rule.Include, rule.Exclude) {
			if err := g.Validate(); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		for _, p := range rule.Packages {
			if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, ".") || strings.Contains(p, "\\") {
				return fmt.Errorf("%s: package pattern %q: want an import path such as std, cmd/covdata or crypto/...", where, p)
			}
		}
		for _, t := range rule.Tools {
			if t == "" || strings.ContainsAny(t, "/\\*?[") {
				return fmt.Errorf("%s: tool %q: want a program name such as compile or vet", where, t)
			}
		}
	}
	caps := slices.Clone(r.Capabilities)
	for _, cr := range r.CapabilitiesWhen {
		if len(cr.Capabilities) == 0 || cr.When == "" {
			return fmt.Errorf("recipe %s: capabilities-when: each entry needs capabilities and a when condition", r.Name)
		}
		if err := cr.When.Validate(); err != nil {
			return fmt.Errorf("recipe %s: capabilities-when: %w", r.Name, err)
		}
		caps = append(caps, cr.Capabilities...)
	}
	for _, c := range caps {
		if c == "" || strings.ContainsAny(c, " /") {
			return fmt.Errorf("recipe %s: capability %q: want a word such as build or race", r.Name, c)
		}
	}
	for _, g := range r.GivesUp {
		if len(g.Entries) == 0 || strings.TrimSpace(g.Capability) == "" {
			return fmt.Errorf("recipe %s: gives-up: each entry needs entries (inventory IDs such as tool/fix) and the capability given up", r.Name)
		}
		if err := g.When.Validate(); err != nil {
			return fmt.Errorf("recipe %s: gives-up: %w", r.Name, err)
		}
		for _, e := range g.Entries {
			if _, err := path.Match(e, ""); err != nil || !strings.Contains(e, "/") {
				return fmt.Errorf("recipe %s: gives-up: entry %q: want an inventory ID such as tool/fix or file/lib/wasm/*", r.Name, e)
			}
		}
	}
	return nil
}

// CapabilitiesFor returns what the recipe promises for one Go release
// ("go1.26.11"): Capabilities followed by those of each CapabilitiesWhen
// entry whose condition matches, without duplicates.
func (r *Recipe) CapabilitiesFor(version string) ([]string, error) {
	caps := slices.Clone(r.Capabilities)
	for _, cr := range r.CapabilitiesWhen {
		ok, err := cr.When.Match(version)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: %w", r.Name, err)
		}
		if ok {
			for _, c := range cr.Capabilities {
				if !slices.Contains(caps, c) {
					caps = append(caps, c)
				}
			}
		}
	}
	return caps, nil
}

// canonical is the resolved, name-independent form that Digest hashes.
type canonical struct {
	PlatformPrune    bool             `json:"platform-prune"`
	Strip            bool             `json:"strip"`
	Capabilities     []string         `json:"capabilities"`
	CapabilitiesWhen []CapabilityRule `json:"capabilities-when,omitempty"`
	Rules            []Rule           `json:"rules"`
}

// Digest returns "sha256:..." over the recipe's canonical form: the
// resolved rules and switches after extends, in JSON. The name, the
// description and the rules' source lines do not count, so a renamed copy
// of a recipe has the same digest.
func (r *Recipe) Digest() string {
	c := canonical{PlatformPrune: r.PrunesPlatform(), Strip: r.Strips(), Capabilities: nonNil(r.Capabilities),
		CapabilitiesWhen: r.CapabilitiesWhen, Rules: nonNil(r.Rules)}
	b, err := json.Marshal(c)
	if err != nil { // cannot happen: strings and slices only
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PrunesPlatform reports whether platform pruning is on: the tree then
// builds for the SDK's own platform only.
func (r *Recipe) PrunesPlatform() bool { return r.PlatformPrune != nil && *r.PlatformPrune }

// Scopes of a recipe, as Scope reports them.
const (
	// ScopeAllPlatforms: the tree cross-compiles to every platform the SDK
	// supports.
	ScopeAllPlatforms = "all platforms"
	// ScopePlatformOnly: platform pruning dropped the sources of other
	// platforms; GOOS/GOARCH cross builds fail.
	ScopePlatformOnly = "this platform only"
)

// Scope says which target platforms the recipe's tree builds for:
// ScopePlatformOnly when it prunes platforms, else ScopeAllPlatforms. Image
// labels, plans and size reports show it.
func (r *Recipe) Scope() string {
	if r.PrunesPlatform() {
		return ScopePlatformOnly
	}
	return ScopeAllPlatforms
}

// Strips reports whether the binaries' symbol tables are stripped.
func (r *Recipe) Strips() bool { return r.Strip != nil && *r.Strip }

// Names lists the built-in recipes in order of size, largest first.
func Names() []string { return []string{"full", "slim", "ci", "ci-native", "build", "minimal"} }

// Lookup returns a built-in recipe by name, or loads a user recipe file when
// nameOrPath contains a path separator or ends in .yaml/.yml.
func Lookup(nameOrPath string) (*Recipe, error) {
	return lookup(nameOrPath, "", nil)
}

func isPath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// lookup loads a recipe; dir is the directory of the recipe that extends it
// (for relative paths) and seen guards against cycles.
func lookup(nameOrPath, dir string, seen []string) (*Recipe, error) {
	var data []byte
	var name string
	if isPath(nameOrPath) {
		p := nameOrPath
		if dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading recipe %q: %w", nameOrPath, err)
		}
		data, name, dir = b, p, filepath.Dir(p)
	} else {
		b, err := builtin.ReadFile(nameOrPath + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("recipe %q: no such built-in recipe (have %s); a file name needs a / or a .yaml suffix", nameOrPath, strings.Join(Names(), ", "))
		}
		data, name, dir = b, nameOrPath, ""
	}
	if slices.Contains(seen, name) {
		return nil, fmt.Errorf("recipe %q: extends cycle %s -> %s", name, strings.Join(seen, " -> "), name)
	}
	r, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if r.Extends != "" {
		parent, err := lookup(r.Extends, dir, append(seen, name))
		if err != nil {
			return nil, fmt.Errorf("recipe %s: extends: %w", name, err)
		}
		r.Rules = append(slices.Clone(parent.Rules), r.Rules...)
		if r.PlatformPrune == nil {
			r.PlatformPrune = parent.PlatformPrune
		}
		if r.Strip == nil {
			r.Strip = parent.Strip
		}
		if r.Capabilities == nil && r.CapabilitiesWhen == nil {
			r.Capabilities, r.CapabilitiesWhen = parent.Capabilities, parent.CapabilitiesWhen
		}
		if r.WarmCache == "" {
			r.WarmCache = parent.WarmCache
		}
		if r.GivesUp == nil {
			r.GivesUp = parent.GivesUp
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// Parse decodes one recipe file strictly, without resolving extends or
// validating. name is used in messages and rule sources.
func Parse(name string, data []byte) (*Recipe, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var r Recipe
	if err := dec.Decode(&r); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parsing recipe %s: empty file", name)
		}
		return nil, fmt.Errorf("parsing recipe %s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing recipe %s: more than one YAML document", name)
	}
	r.Name = name
	base := filepath.Base(name)
	if !isPath(name) {
		base = name + ".yaml"
	}
	for i := range r.Rules {
		r.Rules[i].Source = base + ":" + strings.TrimPrefix(r.Rules[i].Source, "line ")
	}
	return &r, nil
}
