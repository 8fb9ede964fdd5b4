// Package prune resolves a recipe against a Go SDK tree into the set of files
// to keep, and applies that set (materialising transformed files such as
// stripped binaries). It also names the size-report categories that plan,
// build and diff share. It depends on nothing but the standard library and
// the recipes package.
package prune
