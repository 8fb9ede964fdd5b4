package stale

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Remove removes the entries of dir whose names start with prefix ("" for
// every entry) and that were last modified more than age ago, with remove
// (os.RemoveAll when nil), and returns how many it removed. Errors are
// ignored: a sweep that fails leaves the entry for the next one.
func Remove(dir, prefix string, age time.Duration, remove func(string) error) int {
	if remove == nil {
		remove = os.RemoveAll
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) <= age {
			continue
		}
		if remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}
