// Package test holds the fidelity test: for real Go releases, every
// built-in recipe is resolved and applied into a pruned GOROOT, the probe
// suite (package probes) runs against the full SDK and the pruned tree,
// and every artifact must be byte-identical and every outcome the same.
// hack/fidelity.sh runs it for every release and writes docs/recipes.md's
// table.
package test
