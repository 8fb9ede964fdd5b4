package runtimetest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/cacheprog"
)

// compileRe matches a compile in go build -x output and names its package.
var compileRe = regexp.MustCompile(`/compile .* -p (\S+) `)

// CheckNoStdCompile reads go build -x output of a main package and fails
// when a package other than main was compiled (the warm cache was not
// used), or when nothing was (the check would prove nothing).
func CheckNoStdCompile(out string) error {
	var std []string
	for _, m := range compileRe.FindAllStringSubmatch(out, -1) {
		if m[1] != "main" {
			std = append(std, m[1])
		}
	}
	if len(std) > 0 {
		return fmt.Errorf("compiled %d standard-library packages: %v", len(std), std)
	}
	if !strings.Contains(out, "-p main ") {
		return fmt.Errorf("no compile of package main in the go build -x output: the check proves nothing:\n%s", tail(out, 3000))
	}
	return nil
}

// ReadOnlyWaits says why the image in a docker-load tarball cannot build
// on a read-only root, or "" when it can: the go command must write its
// cache, which a gorootimg image allows there through its go front on
// PATH (issue 20, item 1; docs/kubernetes.md).
func ReadOnlyWaits(tarFile string) (string, error) {
	img, err := tarball.ImageFromPath(tarFile, nil)
	if err != nil {
		return "", fmt.Errorf("reading image %q: %w", tarFile, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("reading image %q: %w", tarFile, err)
	}
	for _, e := range cf.Config.Env {
		if p, ok := strings.CutPrefix(e, "PATH="); ok && slices.Contains(strings.Split(p, ":"), cacheprog.BinDir) {
			return "", nil
		}
	}
	return "waits for the image side (issue 20 item 1): the image has no go front on PATH (" + cacheprog.BinDir + "), so go build cannot write its cache on a read-only root", nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
