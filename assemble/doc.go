// Package assemble assembles Go SDK images: it lays a pruned GOROOT over a base
// image as a few layers, sets the image config and labels, makes each
// image's referrers (its SBOM and its SLSA provenance statement), and
// reports the size saved against the full SDK. What an image is made of
// comes in as an imagespec.Resolved (Options embeds it); how the run
// behaves (cache, jobs, progress, log) is the rest of Options. It writes
// to no output: package publish does.
package assemble
