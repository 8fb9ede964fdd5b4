// Command buildhelper builds the GOCACHEPROG helper for this host with the
// go on PATH into the file given: hack/k8s-bench.sh's helper.
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
		fmt.Fprintln(os.Stderr, "usage: buildhelper OUT")
		os.Exit(2)
	}
	out, err := exec.Command("go", "env", "GOROOT", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildhelper: running go env:", err)
		os.Exit(1)
	}
	f := strings.Fields(string(out))
	if err := cacheprog.Build(context.Background(), f[0], runtime.GOOS, runtime.GOARCH, os.Args[1], f[1], os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "buildhelper:", err)
		os.Exit(1)
	}
}
