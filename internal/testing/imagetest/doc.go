// Package imagetest holds test helpers shared by the build and publish
// tests: the fake SDKs of assemble/testdata and the digests of an index.
package imagetest
