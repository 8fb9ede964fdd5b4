// Package llbgen writes BuildKit LLB definitions that produce the same image
// as gorootimg build. It is the only package that imports BuildKit, whose
// dependencies are heavy; the rest of gorootimg never imports it.
package llbgen
