// Package cacheprog holds the GOCACHEPROG helper of gorootimg images and
// builds it: a small static program (helper/main.go.txt, standard library
// only) that serves an image's read-only warm build cache in place and
// keeps new entries in a writable directory, so that an image keeps its
// warm cache under a read-only root file system. Assemble compiles it with
// the image's own Go release; see docs/kubernetes.md.
package cacheprog
