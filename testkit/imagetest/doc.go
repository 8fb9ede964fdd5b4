// Package imagetest holds test helpers shared by the assemble and publish
// tests: the fake SDKs of assemble/testdata and the digests of an index.
package imagetest
