// Package asm has an assembly function that includes textflag.h from
// $GOROOT/pkg/include.
package asm

// Two returns 2.
func Two() int64
