package recipes

import (
	"fmt"
	"path"
	"strings"
)

// Glob is a slash-separated path pattern relative to GOROOT, in the syntax
// of cmd/distpack: path.Match syntax within one path element, plus "**" as
// a whole element matching any number (zero or more) of elements. A pattern
// that matches a directory also matches everything below it, so "src/cmd"
// and "src/cmd/**" are the same.
type Glob string

// Validate reports a malformed pattern. It changes nothing.
func (g Glob) Validate() error {
	s := string(g)
	if s == "" {
		return fmt.Errorf("empty path pattern")
	}
	if strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//") {
		return fmt.Errorf("path pattern %q: want a relative slash path such as src/**/testdata, without leading or trailing /", s)
	}
	for _, el := range strings.Split(s, "/") {
		if el == "." || el == ".." {
			return fmt.Errorf("path pattern %q: . and .. are not allowed", s)
		}
		if el != "**" && strings.Contains(el, "**") {
			return fmt.Errorf("path pattern %q: ** must be a whole path element", s)
		}
		if _, err := path.Match(el, ""); err != nil {
			return fmt.Errorf("path pattern %q: %w", s, err)
		}
	}
	return nil
}

// Match reports whether name, or one of its parent directories, matches g.
// A malformed pattern matches nothing (Validate reports it).
func (g Glob) Match(name string) bool {
	return matchElems(strings.Split(string(g), "/"), strings.Split(name, "/"))
}

// matchElems matches pattern elements against name elements. Running out of
// pattern with name elements left over is a match (the pattern named a
// parent directory).
func matchElems(pat, name []string) bool {
	return matchFrom(pat, name, nil)
}

// matchFrom is matchElems remembering, in failed, the (pattern, name)
// suffixes (by length) already known not to match, so that several "**"
// elements cost O(len(pat)*len(name)) rather than exponential time.
func matchFrom(pat, name []string, failed map[[2]int]bool) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for len(rest) > 0 && rest[0] == "**" {
				rest = rest[1:] // "**/**" is "**"
			}
			if failed == nil {
				failed = map[[2]int]bool{}
			}
			key := [2]int{len(rest), len(name)}
			if failed[key] {
				return false
			}
			for i := 0; i <= len(name); i++ {
				if matchFrom(rest, name[i:], failed) {
					return true
				}
			}
			failed[key] = true
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], name[0])
		if err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return true
}
