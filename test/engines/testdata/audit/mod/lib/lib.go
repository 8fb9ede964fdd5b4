// Package lib is what the audit steps test, vet, fix and format.
package lib

// Add adds.
func Add(a, b int) int { return a + b }
