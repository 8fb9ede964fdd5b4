// Package depcheck holds only a test that keeps gorootimg's import graph one
// way: cmd/gorootimg → the libraries → go-containerregistry and the standard
// library, with goroot (the GOROOT model) on the standard library alone,
// prune and recipes on it, the standard library and a YAML decoder, sdk
// not importing prune, verify importing no build or publishing code, and
// BuildKit confined to llbgen.
package depcheck
