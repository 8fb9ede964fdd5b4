//go:build !unix

package sdk

import "os"

// flock is a no-op where flock(2) does not exist: two gorootimg processes
// filling the same cache entry at once may then both download it; the
// rename into place still keeps the cache consistent.
func flock(f *os.File) error { return nil }

// syncAll is a no-op here; each file was written through the OS cache.
func syncAll() {}
