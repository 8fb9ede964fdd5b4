// Package publishtest is the end-to-end test of "gorootimg publish": the
// gorootimg binary against the real docker-registry (behind
// testkit/faultproxy, which counts and breaks requests) and a local module
// proxy serving tiny fake Go releases of two minor lines with a checksum
// database signed by a key made for the test. It checks the whole matrix
// goes up with the official tag scheme, that a new patch release moves only
// its line's tags, that a run with nothing new pushes nothing, that a
// registry fault mid-matrix leaves every tag on a complete image, and that
// bad images files fail before any work.
package publishtest
