package recipes

import (
	"fmt"
	"strconv"
	"strings"
)

// Condition restricts a rule to some Go releases: one or more comparisons
// joined by commas, all of which must hold, such as ">= 1.25" or
// ">= 1.21, < 1.25". Operators: >=, >, <=, <, ==, !=. The empty condition
// always holds.
type Condition string

// Validate reports a malformed condition. It changes nothing.
func (c Condition) Validate() error {
	_, err := c.Match("go1.21.0")
	return err
}

// Match reports whether the Go release version ("go1.22.12", "1.25",
// "go1.26rc1") satisfies c.
func (c Condition) Match(version string) (bool, error) {
	if strings.TrimSpace(string(c)) == "" {
		return true, nil
	}
	have, err := ParseVersion(version)
	if err != nil {
		return false, err
	}
	ok := true
	for _, term := range strings.Split(string(c), ",") {
		term = strings.TrimSpace(term)
		var op string
		for _, o := range []string{">=", "<=", "==", "!=", ">", "<"} {
			if strings.HasPrefix(term, o) {
				op = o
				break
			}
		}
		if op == "" {
			return false, fmt.Errorf("version condition %q: %q needs an operator (>=, >, <=, <, ==, !=) and a version such as 1.25", c, term)
		}
		want, err := ParseVersion(strings.TrimSpace(term[len(op):]))
		if err != nil {
			return false, fmt.Errorf("version condition %q: %w", c, err)
		}
		cmp := have.Compare(want)
		switch op {
		case ">=":
			ok = ok && cmp >= 0
		case ">":
			ok = ok && cmp > 0
		case "<=":
			ok = ok && cmp <= 0
		case "<":
			ok = ok && cmp < 0
		case "==":
			ok = ok && cmp == 0
		case "!=":
			ok = ok && cmp != 0
		}
	}
	return ok, nil
}

// Version is a parsed Go release. A condition on "1.25" compares as
// 1.25.0; a pre-release (rc, beta) sorts before the release.
type Version struct {
	Major, Minor, Patch int
	Pre                 bool // rc or beta
}

// ParseVersion parses "go1.22.12", "1.22", "go1.25rc1" and the like.
func ParseVersion(s string) (Version, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "go")
	var v Version
	if i := strings.IndexAny(s, "rb"); i >= 0 { // rc1, beta2
		v.Pre = true
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("version %q: want a Go release such as 1.22 or go1.22.12", orig)
	}
	nums := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("version %q: want a Go release such as 1.22 or go1.22.12", orig)
		}
		nums[i] = n
	}
	v.Major, v.Minor, v.Patch = nums[0], nums[1], nums[2]
	return v, nil
}

// Compare returns -1, 0 or +1 as v sorts before, with or after w.
func (v Version) Compare(w Version) int {
	for _, d := range [][2]int{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == w.Pre:
		return 0
	case v.Pre:
		return -1
	}
	return 1
}
