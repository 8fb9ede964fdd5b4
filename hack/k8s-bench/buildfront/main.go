// Command buildfront builds the go front of gorootimg images (package
// cacheprog) for this host with the go on PATH into the file given:
// hack/k8s-bench.sh's front.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/gorootimg/gorootimg/cacheprog"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: buildfront OUT")
		os.Exit(2)
	}
	out, err := exec.Command("go", "env", "GOROOT", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildfront: running go env:", err)
		os.Exit(1)
	}
	f := strings.Fields(string(out))
	if err := cacheprog.Build(context.Background(), f[0], runtime.GOOS, runtime.GOARCH, os.Args[1], f[1], os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "buildfront:", err)
		os.Exit(1)
	}
}
