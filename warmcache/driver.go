package warmcache

import (
	_ "embed"
	"fmt"
	"strings"
)

// rulesSource is rules.go, compiled into the driver as well.
//
//go:embed rules.go
var rulesSource string

//go:embed driver/main.go.txt
var driverMain string

// DriverVariants are the variants the in-build driver builds; tools needs
// warmcache's Go code around the go command and is build-only for now.
var DriverVariants = []Variant{Std, Race}

// DriverSource returns the source of the warm-cache driver that gorootimg
// llb --warm-cache builds with the image's own go command and runs inside
// the BuildKit build, by file name (go.mod, main.go, rules.go). rules.go is
// this package's rules.go with its package clause changed to main, so the
// driver makes the cache deterministic exactly as Warm does.
func DriverSource() (map[string][]byte, error) {
	const clause = "\npackage warmcache\n"
	r := "\n" + rulesSource
	if !strings.Contains(r, clause) {
		return nil, fmt.Errorf("warm-cache driver: rules.go has no %q clause", strings.TrimSpace(clause))
	}
	r = strings.Replace(r, clause, "\npackage main\n", 1)[1:]
	return map[string][]byte{
		"go.mod":   []byte("module gorootimg-warm\n\ngo 1.21\n"),
		"main.go":  []byte(driverMain),
		"rules.go": []byte(r),
	}, nil
}
