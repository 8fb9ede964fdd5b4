package layers

import (
	"fmt"
	"io/fs"
	"time"
)

// tarMode is the tar header mode of m: the permission bits and the
// setuid, setgid and sticky bits (a 1777 directory such as /tmp or a
// shared cache stays 1777).
func tarMode(m fs.FileMode) int64 {
	n := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return n
}

// entryTime is e's modification time: its own ModTime when set (rounded
// down to the second), else the layer's mtime.
func entryTime(e Entry, mtime time.Time) time.Time {
	if e.ModTime.IsZero() {
		return mtime
	}
	return e.ModTime.UTC().Truncate(time.Second)
}

// checkEntryTime refuses an entry time a tar header cannot carry.
func checkEntryTime(e Entry) error {
	if !e.ModTime.IsZero() && e.ModTime.Before(time.Unix(0, 0)) {
		return fmt.Errorf("layer entry %q: time %v is before 1970", e.Name, e.ModTime)
	}
	return nil
}
