package layers

import (
	"fmt"
	"time"
)

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
