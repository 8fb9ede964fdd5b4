//go:build unix

package warmcache

import (
	"io/fs"
	"syscall"
)

// owner is fi's uid and gid; 0, 0 when the system does not say.
func owner(fi fs.FileInfo) (uid, gid int) {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid), int(sys.Gid)
	}
	return 0, 0
}
