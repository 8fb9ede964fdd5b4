// Package goroot models a Go SDK tree (a GOROOT) as gorootimg sees it: the
// tree on disk and the release and platform it holds (Tree, Open), its
// VERSION file (ReadVersion), the file set a scan of it gives (Scan,
// FileSet), the size-report category of each file (CategoryOf) and the
// mode each file gets from its role (ModeOf), and where a GOROOT may live
// inside an image (ImagePath).
//
// It is the leaf the other packages share: it imports nothing but the
// standard library.
package goroot
