package sdk

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors a SourceError wraps when the source itself is the mistake.
var (
	// ErrUnknownSource: the source names no kind of SDK Resolve knows.
	ErrUnknownSource = errors.New("not a release (1.22.12, 1.22), local, a GOROOT directory, a .tar.gz release archive, image:REF or oci:DIR[:TAG]")
	// ErrNoLocalGo: the source is "local" and Options.LocalGOROOT is empty.
	ErrNoLocalGo = errors.New("no go command found on PATH; name a release (such as 1.22.12), a GOROOT directory or an archive")
	// ErrScratch: the source is the empty image.
	ErrScratch = errors.New("the empty image holds no Go SDK")
	// ErrChecksumNotArchive: Options.SHA256 is set but the source is not a
	// release archive, the only source it can check.
	ErrChecksumNotArchive = errors.New("a SHA-256 checksum is given, but only a release archive (.tar.gz) can be checked against one")
)

// A SourceError is an error about the source given to Resolve: a value
// that names no SDK, or one from which no SDK can be had. The CLI names
// the flag the value came from with Named.
type SourceError struct {
	// Spec is the source as given to Resolve ("local" for an empty one).
	Spec string
	// Err says what is wrong with it.
	Err error
}

// Error reads "Go SDK source SPEC: what is wrong".
func (e *SourceError) Error() string { return e.Named("Go SDK source") }

// Unwrap returns e.Err.
func (e *SourceError) Unwrap() error { return e.Err }

// Named is the message with the value introduced by name instead of "Go
// SDK source", such as the flag it came from: "--go 1.22.99: ...". A
// value that names nothing Resolve knows is quoted.
func (e *SourceError) Named(name string) string {
	spec := e.Spec
	if errors.Is(e.Err, ErrUnknownSource) {
		spec = strconv.Quote(spec)
	}
	return fmt.Sprintf("%s %s: %v", name, spec, e.Err)
}

// A ChecksumError is a release archive whose SHA-256 is not the one
// Options.SHA256 expects.
type ChecksumError struct {
	// File is the archive; Got its SHA-256 and Want the expected one, in
	// lower-case hex.
	File, Got, Want string
}

// Error reads "FILE: sha256 is GOT, not the WANT expected".
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: sha256 is %s, not the %s expected", e.File, e.Got, e.Want)
}
