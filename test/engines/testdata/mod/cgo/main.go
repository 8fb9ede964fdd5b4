//go:build cgo

// Command cgo adds two numbers in C.
package main

/*
static int add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func main() { fmt.Println("cgo says", C.add(2, 3)) }
