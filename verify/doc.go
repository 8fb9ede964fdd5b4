// Package verify proves that the GOROOT in an image builds what the full SDK
// of the same release builds, byte for byte, by running an embedded probe
// suite with both toolchains.
package verify
