// Package depcheck holds only tests that keep gorootimg's import graph one
// way: cmd/gorootimg → the libraries → go-containerregistry and the standard
// library, with prune and recipes on the standard library and a YAML decoder
// alone, BuildKit confined to llbgen, verify free of publishing code, and
// publish's Layout the only writer of OCI layouts (index.json).
package depcheck
