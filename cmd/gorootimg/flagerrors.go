package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/sdk"
)

// flagError is an error whose message names the flags behind the values
// a library complained about; Unwrap gives the library's error.
type flagError struct {
	msg string
	err error
}

func (e *flagError) Error() string { return e.msg }
func (e *flagError) Unwrap() error { return e.err }

// nameFlags rewrites the parts of err's message that are library errors
// about a value the user gives by a flag, so that they name the flag or
// say which flag helps. Libraries speak of values ("Go SDK source
// 1.22.99: ..."); the user typed "--go 1.22.99". The rest of the message,
// and what errors.Is and errors.As find, stay as they are.
func nameFlags(err error) error {
	msg := err.Error()
	var se *sdk.SourceError
	if errors.As(err, &se) {
		flagged := se.Named("--go")
		if errors.Is(se.Err, sdk.ErrChecksumNotArchive) {
			flagged = fmt.Sprintf("--sha256 checks a release archive (.tar.gz); --go %s is not one", se.Spec)
		}
		msg = strings.ReplaceAll(msg, se.Error(), flagged)
	}
	var ce *sdk.ChecksumError
	if errors.As(err, &ce) {
		msg = strings.ReplaceAll(msg, ce.Error(), fmt.Sprintf("%s: sha256 is %s, but --sha256 says %s", ce.File, ce.Got, ce.Want))
	}
	var pe *imageref.PlainHTTPError
	if errors.As(err, &pe) {
		msg = strings.ReplaceAll(msg, pe.Error(), pe.Error()+"; pass --insecure to allow it")
	}
	if msg == err.Error() {
		return err
	}
	return &flagError{msg: msg, err: err}
}
