// Package depcheck holds only a test that keeps gorootimg's import graph one
// way: cmd/gorootimg → the libraries → go-containerregistry and the standard
// library, with prune and recipes on the standard library and a YAML decoder
// alone, and BuildKit confined to llbgen.
package depcheck
