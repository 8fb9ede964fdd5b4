package layerstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
)

// HashLines is a content key: the hex sha256 of lines, each ended by a
// newline. A key's first line names the cache version, so that a change
// of what the bytes of a layer are misses every older record.
func HashLines(lines ...string) string {
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// StatID identifies a file's content without reading it: its mode, size,
// modification time and inode number (where the host has them).
func StatID(fi fs.FileInfo) string {
	return fmt.Sprintf("%v %d %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), inode(fi))
}

// TreeID fingerprints the tree below dir without reading its files: the
// hex sha256 of every path's StatID.
func TreeID(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %s\n", p, StatID(fi))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("fingerprinting %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
