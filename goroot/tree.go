package goroot

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Tree is a GOROOT on disk: where it is, the release its VERSION file
// names and the platform its pkg/tool directory holds tools for.
type Tree struct {
	// Dir is the GOROOT directory.
	Dir string
	// Version is the release, as VERSION's first line names it ("go1.22.12").
	Version string
	// Time is the release time from VERSION's "time" line; zero if absent.
	Time time.Time
	// GOOS and GOARCH come from the pkg/tool/<goos>_<goarch> directory.
	GOOS, GOARCH string
}

// Open describes the GOROOT at dir without changing it: the platform of
// its one pkg/tool/<goos>_<goarch> directory and the release in VERSION.
func Open(dir string) (Tree, error) {
	tools, err := os.ReadDir(filepath.Join(dir, "pkg", "tool"))
	if err != nil {
		return Tree{}, fmt.Errorf("%s does not look like a Go SDK: no pkg/tool directory", dir)
	}
	t := Tree{Dir: dir}
	for _, e := range tools {
		goos, goarch, ok := strings.Cut(e.Name(), "_")
		if !e.IsDir() || !ok || goos == "" || goarch == "" {
			continue // e.g. pkg/tool/linux_amd64_race is not a platform of its own
		}
		if strings.Contains(goarch, "_") {
			continue
		}
		if t.GOOS != "" {
			return Tree{}, fmt.Errorf("%s holds tools for more than one platform (%s_%s and %s); gorootimg expects one", dir, t.GOOS, t.GOARCH, e.Name())
		}
		t.GOOS, t.GOARCH = goos, goarch
	}
	if t.GOOS == "" {
		return Tree{}, fmt.Errorf("%s does not look like a Go SDK: no pkg/tool/<goos>_<goarch> directory", dir)
	}
	t.Version, t.Time, err = ReadVersion(dir)
	if err != nil {
		return Tree{}, err
	}
	return t, nil
}

// ReadVersion parses the VERSION file of the GOROOT at dir: the release on
// the first line ("go1.22.12"), then "key value" lines of which "time" is
// the release time (RFC 3339; zero when absent).
func ReadVersion(dir string) (release string, released time.Time, err error) {
	file := filepath.Join(dir, "VERSION")
	f, err := os.Open(file)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading Go SDK version: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSpace(sc.Text())
		if first {
			release = line
			continue
		}
		if v, ok := strings.CutPrefix(line, "time "); ok {
			released, err = time.Parse(time.RFC3339, strings.TrimSpace(v))
			if err != nil {
				return "", time.Time{}, fmt.Errorf("%s: bad time line %q: %w", file, line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", time.Time{}, fmt.Errorf("reading %s: %w", file, err)
	}
	if !strings.HasPrefix(release, "go1") || strings.IndexFunc(release, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return "", time.Time{}, fmt.Errorf("%s: first line %q is not a Go release such as go1.22.12", file, release)
	}
	return release, released, nil
}
