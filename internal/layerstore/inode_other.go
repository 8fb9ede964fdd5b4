//go:build !unix

package layerstore

import "io/fs"

// inode is 0 where os.Stat reports no inode numbers: a file's identity in
// cache keys is then its mode, size and modification time.
func inode(fs.FileInfo) uint64 { return 0 }
