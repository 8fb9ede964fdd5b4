// Package diff compares two Go SDK images (or SDK trees) by size: totals,
// layers, GOROOT categories and files.
package diff
