// Command hello greets.
package main

import "fmt"

func main() { fmt.Println(Greeting()) }

// Greeting is what hello prints.
func Greeting() string { return "hello from the image" }
