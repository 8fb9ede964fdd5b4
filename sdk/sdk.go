package sdk

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SDK describes a normalised Go SDK tree on disk.
type SDK struct {
	// Dir is the GOROOT on disk. Trees from the cache are read-only.
	Dir string
	// Version is the release as VERSION's first line names it ("go1.22.12").
	Version string
	// Time is the release time from VERSION's "time" line; zero if absent.
	Time time.Time
	// GOOS and GOARCH come from the pkg/tool/<goos>_<goarch> directory.
	GOOS, GOARCH string
	// Source says where the tree came from, for labels and reports:
	// "golang.org/toolchain@v0.0.1-go1.22.12.linux-amd64", "local:/usr/local/go",
	// "archive:go1.22.5.linux-amd64.tar.gz", "image:REF@sha256:...".
	Source string
	// Hash identifies the source content: the module's "h1:" hash, the
	// archive's "sha256:", or the image's digest. Empty for a local tree.
	Hash string
}

// Platform returns "goos/goarch".
func (s *SDK) Platform() Platform { return Platform{OS: s.GOOS, Arch: s.GOARCH} }

// Open describes the Go SDK rooted at dir without changing it.
func Open(dir string) (*SDK, error) {
	tools, err := os.ReadDir(filepath.Join(dir, "pkg", "tool"))
	if err != nil {
		return nil, fmt.Errorf("%s does not look like a Go SDK: no pkg/tool directory", dir)
	}
	s := &SDK{Dir: dir}
	for _, t := range tools {
		goos, goarch, ok := strings.Cut(t.Name(), "_")
		if !t.IsDir() || !ok || goos == "" || goarch == "" {
			continue // e.g. pkg/tool/linux_amd64_race is not a platform of its own
		}
		if strings.Contains(goarch, "_") {
			continue
		}
		if s.GOOS != "" {
			return nil, fmt.Errorf("%s holds tools for more than one platform (%s_%s and %s); gorootimg expects one", dir, s.GOOS, s.GOARCH, t.Name())
		}
		s.GOOS, s.GOARCH = goos, goarch
	}
	if s.GOOS == "" {
		return nil, fmt.Errorf("%s does not look like a Go SDK: no pkg/tool/<goos>_<goarch> directory", dir)
	}
	s.Version, s.Time, err = readVersion(filepath.Join(dir, "VERSION"))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// readVersion parses a GOROOT VERSION file: the release on the first line,
// then "key value" lines of which "time" is the release time (RFC 3339).
func readVersion(path string) (string, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading Go SDK version: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var version string
	var t time.Time
	for first := true; sc.Scan(); first = false {
		line := strings.TrimSpace(sc.Text())
		if first {
			version = line
			continue
		}
		if v, ok := strings.CutPrefix(line, "time "); ok {
			t, err = time.Parse(time.RFC3339, strings.TrimSpace(v))
			if err != nil {
				return "", time.Time{}, fmt.Errorf("%s: bad time line %q: %w", path, line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", time.Time{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if !strings.HasPrefix(version, "go1") || strings.IndexFunc(version, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
		return "", time.Time{}, fmt.Errorf("%s: first line %q is not a Go release such as go1.22.12", path, version)
	}
	return version, t, nil
}
