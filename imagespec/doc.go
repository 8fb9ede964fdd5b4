// Package imagespec is what an image is made of, as one value: the recipe,
// the base, the GOROOT path, the compression and its level, the layer plan,
// the warm build cache, the source label, the SBOM and the provenance.
//
// Every front end decodes into a Spec: the flags of "gorootimg build" and
// "gorootimg llb" bind to its fields, and each variant of an images file
// (package matrix) holds one inline. Validate checks a Spec without I/O;
// Resolve looks its recipe and base up and returns the Resolved value that
// package assemble takes. How a run behaves (cache directory, jobs,
// progress, logging) is not part of the spec.
package imagespec
