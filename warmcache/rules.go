package warmcache

// This file holds the rules that make a warm build cache deterministic.
// It imports only the standard library because its source is also
// compiled, as part of package main, into the driver that gorootimg llb
// --warm-cache runs inside the BuildKit build (driver.go): both paths
// follow the same rules by construction.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxTime32 is the last second a signed 32-bit time_t holds (2038-01-19).
var maxTime32 = time.Unix(1<<31-1, 0).UTC()

// KeepUntil is the modification time of the warm cache's files for an
// image of time t: ten years after t, but no later than 2038-01-19, the
// last second a 32-bit time_t (and ext4's small inodes) can hold. The go
// command deletes a cache file when it is more than 5 days older than
// "now" at a trim; a file dated in the future is never trimmed, and the go
// command does not touch its time on use (it only updates times older than
// an hour). See docs/warm-cache.md.
func KeepUntil(t time.Time) time.Time {
	k := t.UTC().AddDate(10, 0, 0).Truncate(time.Second)
	if k.After(maxTime32) {
		k = maxTime32
	}
	return k
}

// actionEntrySize is the size of an action entry ("-a" file) of the go
// command's cache: "v1 <id> <out> <size %20d> <unixnano %20d>\n".
const actionEntrySize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1

// normaliseCache makes the cache at dir deterministic in place: trim.txt
// is removed, each action entry's time is t, the cache directory and its
// 256 subdirectories are 1777 so that any user adds entries, other
// directories 0755, files 0644 (0755 for cached executables), and every
// file and directory is dated KeepUntil(t). visit, when not nil, is
// called for each path (rel "." for dir itself) in walk order with the
// mode it got.
func normaliseCache(dir string, t time.Time, visit func(p, rel string, mode fs.FileMode) error) error {
	if err := os.Remove(filepath.Join(dir, "trim.txt")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	keep := KeepUntil(t)
	var touched []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		mode, err := normalise(p, rel, d, t)
		if err != nil {
			return err
		}
		touched = append(touched, p)
		if visit != nil {
			return visit(p, rel, mode)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Times last: changing a file's time does not change its directory's.
	for _, p := range touched {
		if err := os.Chtimes(p, keep, keep); err != nil {
			return err
		}
	}
	return nil
}

// normalise fixes one cache file or directory in place and returns its
// mode in the layer.
func normalise(p, rel string, d fs.DirEntry, t time.Time) (fs.FileMode, error) {
	depth := strings.Count(rel, "/") + 1
	if rel == "." {
		depth = 0
	}
	var mode fs.FileMode
	switch {
	case d.IsDir() && (depth == 0 || depth == 1 && isHexByte(rel)):
		mode = fs.ModeDir | fs.ModeSticky | 0o777
	case d.IsDir():
		mode = fs.ModeDir | 0o755
	case d.Type().IsRegular():
		fi, err := d.Info()
		if err != nil {
			return 0, err
		}
		mode = 0o644
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		if depth == 2 && strings.HasSuffix(rel, "-a") {
			if err := setActionTime(p, t); err != nil {
				return 0, err
			}
		}
	default:
		return 0, fmt.Errorf("%s in the cache is a %v, want files and directories", rel, d.Type())
	}
	if err := os.Chmod(p, mode); err != nil {
		return 0, err
	}
	return mode, nil
}

// setActionTime rewrites the time an action entry records (when it was
// added, which only go test's cache of results reads) to t.
func setActionTime(file string, t time.Time) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if len(b) != actionEntrySize || !bytes.HasPrefix(b, []byte("v1 ")) || b[len(b)-1] != '\n' || b[len(b)-22] != ' ' {
		return fmt.Errorf("action entry %s: not the go command's v1 format (%d bytes)", file, len(b))
	}
	copy(b[len(b)-21:], fmt.Sprintf("%20d", t.UnixNano()))
	return os.WriteFile(file, b, 0o644)
}

func isHexByte(s string) bool {
	const hex = "0123456789abcdef"
	return len(s) == 2 && strings.IndexByte(hex, s[0]) >= 0 && strings.IndexByte(hex, s[1]) >= 0
}
