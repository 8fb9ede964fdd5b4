// Package depcheck holds only tests that keep gorootimg's import graph one
// way: cmd/gorootimg → the libraries → go-containerregistry and the standard
// library, with goroot (the GOROOT model) on the standard library alone,
// prune and recipes on it, the standard library and a YAML decoder, sdk
// not importing prune, verify importing no build or publishing code,
// BuildKit confined to llbgen, and publish's Layout the only writer of
// OCI layouts (index.json).
package depcheck
