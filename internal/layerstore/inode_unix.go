//go:build unix

package layerstore

import (
	"io/fs"
	"syscall"
)

// inode is fi's inode number, part of a file's identity in cache keys.
func inode(fi fs.FileInfo) uint64 {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino)
	}
	return 0
}
