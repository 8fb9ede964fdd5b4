//go:build !amd64

package asm

// Two returns 2.
func Two() int64 { return 2 }
