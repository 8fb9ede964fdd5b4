// Package probes runs a fixed corpus of go commands against a Go SDK tree
// and records what each did: pass or fail (with the reason) and the sha256
// of every artifact (binaries built with -trimpath, test binaries, files go
// generate and go fmt wrote). Running the suite against the full SDK and a
// pruned tree, then comparing the results with Compare, proves that the
// pruned tree builds the same bytes and gives the same outcomes.
//
// The corpus (corpus.txtar) covers hello world, a net/http server, cgo
// (a C file, os/user, net with the cgo resolver), assembly including
// textflag.h, //go:embed, generics, go test with -race, -cover,
// -coverpkg=./... -coverprofile (with packages that have no tests), -json,
// a fuzz seed corpus and a short -fuzz run, -bench, go vet, go generate,
// go fmt and gofmt, go mod, cross-compiling to windows/amd64 and
// darwin/arm64, the go tools test suites run (nm, objdump, addr2line,
// buildid, pack, test2json on a binary the probe builds first, their
// output compared byte for byte) and pprof and trace in batch mode.
// Capabilities select the probes a recipe promises; Options.GOOS and
// GOARCH make every probe cross-compile to one target.
package probes
