// Package prune resolves a recipe against a GOROOT into the set of files
// to keep (Resolve), and applies that set, materialising transformed files
// such as stripped binaries (Apply). Prepare does both, the way every
// command uses them. The GOROOT model itself (trees, file sets, categories,
// modes) is package goroot. prune depends on nothing but the standard
// library, goroot and recipes.
package prune
