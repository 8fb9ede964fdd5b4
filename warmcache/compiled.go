package warmcache

import (
	"regexp"
	"slices"
	"strings"
)

// compileLine matches one compile of a package in go -x output and
// captures its import path (the compile tool's -p flag).
var compileLine = regexp.MustCompile(`(?m)/compile\s.*?\s-p\s+(\S+)`)

// CompiledStd returns the standard-library packages that go -x output
// shows compiled, sorted and each once, and whether package main was
// compiled at all. A warm cache shows none of the first and does show
// main (else the output proves nothing). A package whose first path
// element has a dot (a module's) is not std.
func CompiledStd(out string) (std []string, sawMain bool) {
	for _, m := range compileLine.FindAllStringSubmatch(out, -1) {
		p := m[1]
		switch {
		case p == "main":
			sawMain = true
		case !strings.Contains(strings.SplitN(p, "/", 2)[0], "."):
			if !slices.Contains(std, p) {
				std = append(std, p)
			}
		}
	}
	slices.Sort(std)
	return std, sawMain
}
