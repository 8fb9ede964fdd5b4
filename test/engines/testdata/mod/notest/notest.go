// Package notest has no tests: go test -cover must still cover it.
package notest

// Two returns 2.
func Two() int { return 2 }
