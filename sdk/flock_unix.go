//go:build unix

package sdk

import (
	"os"
	"syscall"
)

// flock takes an exclusive flock(2) lock on f, waiting for it.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// syncAll flushes file system buffers to disk.
func syncAll() { syscall.Sync() }
