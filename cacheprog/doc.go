// Package cacheprog holds the go front of gorootimg images and builds it:
// a small static program (front/main.go.txt, standard library only)
// installed as "go" before GOROOT/bin on the image's PATH. It runs the
// real go command in its place; when GOCACHE cannot be written (a
// read-only root file system) it first makes, once per container, a
// writable build cache whose entries are symbolic links into the
// read-only warm cache, so that the image keeps its warm cache under a
// read-only root. Assemble compiles it with the image's own Go release;
// see docs/kubernetes.md.
package cacheprog
