// Command tiny is the smallest program: built under emulation, where every
// package compiled costs ten times more.
package main

func main() { println("tiny runs on", goarch) }
