// Package sdk obtains Go SDK trees that gorootimg can trust: a release from
// the Go module proxy (golang.org/toolchain, verified against the checksum
// database), a local GOROOT, a release archive, or the GOROOT inside an
// existing image. Whatever the source, the tree is normalised the same way
// (nested go.mod names and exec bits restored) and described by an SDK value.
//
// The package never reads the environment: callers pass GOPROXY, GOSUMDB,
// the cache directory and the rest as options.
package sdk
