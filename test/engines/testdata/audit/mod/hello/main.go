// Command hello is the program the audit steps build, run and install.
package main

import "fmt"

//go:generate go version

func main() { fmt.Println("hello from the audit") }
