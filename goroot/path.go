package goroot

import (
	"fmt"
	"path"
	"strings"
)

// DefaultImagePath is where images keep the GOROOT unless told otherwise.
const DefaultImagePath = "/usr/local/go"

// CheckImagePath reports whether p can be the directory a GOROOT lives at
// inside an image: an absolute, clean path below / ("/usr/local/go", not
// "usr/local/go", "/usr/local/go/" or "/") none of whose components is a
// layer whiteout name (".wh." prefix). Every command and library that
// takes a GOROOT path checks it here.
func CheckImagePath(p string) error {
	ok := strings.HasPrefix(p, "/") && path.Clean(p) == p && p != "/"
	for _, e := range strings.Split(p, "/") {
		ok = ok && !strings.HasPrefix(e, ".wh.")
	}
	if !ok {
		return fmt.Errorf("%q is not a clean absolute directory inside the image: want an absolute path below /, such as %s", p, DefaultImagePath)
	}
	return nil
}
