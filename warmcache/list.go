package warmcache

import (
	"fmt"
	"slices"
	"strings"
)

// Variant is one thing to build into the cache.
type Variant string

// The variants, in the order Warm builds them.
const (
	// Std is the standard library as go build compiles it by default
	// ("go build std"), with cgo on when the image has a C compiler.
	Std Variant = "std"
	// Vet is the vet facts of the standard library as go test computes
	// them before it vets the package under test (its own flag set, which
	// go vet never uses), so that a first go test compiles and vets only
	// the user's packages.
	Vet Variant = "vet"
	// Race is the standard library with the race detector ("go build
	// -race std"), for go test -race. It needs cgo.
	Race Variant = "race"
	// Tools are the tools Go 1.25 and later no longer ship prebuilt and
	// the go command builds on demand (go tool covdata for go test
	// -coverpkg, go tool nm, ...): each whose source the image keeps.
	// Earlier releases ship them prebuilt: nothing to build.
	Tools Variant = "tools"
)

// Variants lists every valid Variant.
var Variants = []Variant{Std, Vet, Race, Tools}

// ParseList parses a comma-separated list such as "std,race". Items are
// kept once each, in the order of Variants; an unknown item is an error
// naming the valid ones.
func ParseList(s string) ([]Variant, error) {
	seen := map[Variant]bool{}
	for _, item := range strings.Split(s, ",") {
		v := Variant(strings.TrimSpace(item))
		if !slices.Contains(Variants, v) {
			return nil, fmt.Errorf("warm cache item %q: want a comma-separated list of %s", item, joinVariants())
		}
		seen[v] = true
	}
	var list []Variant
	for _, v := range Variants {
		if seen[v] {
			list = append(list, v)
		}
	}
	return list, nil
}

func joinVariants() string {
	s := make([]string, len(Variants))
	for i, v := range Variants {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
