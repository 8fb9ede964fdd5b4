package sdk

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
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

// Platform returns the SDK's platform (GOOS and GOARCH).
func (s *SDK) Platform() v1.Platform { return v1.Platform{OS: s.GOOS, Architecture: s.GOARCH} }

// Tree returns the SDK's GOROOT, as the recipe and image code take it.
func (s *SDK) Tree() goroot.Tree {
	return goroot.Tree{Dir: s.Dir, Version: s.Version, Time: s.Time, GOOS: s.GOOS, GOARCH: s.GOARCH}
}

// Open describes the Go SDK rooted at dir without changing it (see
// goroot.Open).
func Open(dir string) (*SDK, error) {
	t, err := goroot.Open(dir)
	if err != nil {
		return nil, err
	}
	return &SDK{Dir: t.Dir, Version: t.Version, Time: t.Time, GOOS: t.GOOS, GOARCH: t.GOARCH}, nil
}
