// Package wincheck checks the structure of a Windows container image, the
// proof gorootimg can give without a Windows host: every layer entry below
// Files/ or Hives/, each directory before what it holds, the
// MSWINDOWS.rawsd security descriptor on every entry, the config's and
// the index's platform fields consistent with each other and with the
// base, the GOROOT's go.exe and tools present, Windows paths in Env, and
// the image accepted by go-containerregistry's validate. verify and the
// tests use it.
package wincheck
