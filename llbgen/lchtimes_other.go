//go:build !linux

package llbgen

import "time"

// lchtimes is a no-op where symlink times cannot be set portably.
func lchtimes(p string, t time.Time) error { return nil }
