// Command inventory writes the inventory of one Go SDK as JSON: the
// generator behind hack/inventory.sh.
//
//	go run ./hack/inventory -goroot DIR -version go1.26.11 > recipes/inventory/go1.26.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/gorootimg/gorootimg/inventory"
)

func main() {
	goroot := flag.String("goroot", "", "the SDK's GOROOT (gorootimg sdk prints it)")
	version := flag.String("version", "", "the SDK's release, such as go1.26.11")
	flag.Parse()
	if *goroot == "" || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: inventory -goroot DIR -version goX.Y.Z")
		os.Exit(2)
	}
	inv, err := inventory.Generate(context.Background(), *goroot, *version, runtime.GOOS, runtime.GOARCH)
	if err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "\t")
	if err := enc.Encode(inv); err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}
