// Package recipes holds the recipe types, their strict YAML decoding, and the
// built-in recipes embedded from this directory's YAML files. A recipe is
// data; package prune resolves it against an SDK.
package recipes
