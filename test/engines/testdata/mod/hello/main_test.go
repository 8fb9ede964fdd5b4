package main

import "testing"

func TestGreeting(t *testing.T) {
	if Greeting() != "hello from the image" {
		t.Fatalf("Greeting() = %q", Greeting())
	}
}
