// Command web is the net/http program of the Docker and containerd rows:
// on the warm image its first go build compiles no standard-library
// package.
package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	fmt.Println(http.ListenAndServe("127.0.0.1:8080", nil))
}
