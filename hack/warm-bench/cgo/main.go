// Command cgo is the benchmark's cgo program: a C function called from Go,
// with net and os/user, which use cgo when it is on.
package main

/*
static int twice(int x) { return 2 * x; }
*/
import "C"

import (
	"fmt"
	"net"
	"os/user"
)

func twice(x int) int { return int(C.twice(C.int(x))) }

func main() {
	u, err := user.Current()
	fmt.Println(twice(21), u, err, net.ParseIP("127.0.0.1"))
}
