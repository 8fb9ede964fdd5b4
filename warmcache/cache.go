package warmcache

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/gorootimg/gorootimg/layers"
)

// finish makes the cache deterministic in place (normaliseCache in
// rules.go, the rules the llb driver shares) and lists it as entries,
// every one dated KeepUntil.
func (w *warmer) finish() error {
	keep := KeepUntil(w.img.Time)
	prefix := strings.TrimPrefix(w.res.GOCACHE, "/")
	entries := append([]layers.Entry(nil), w.parents...)
	err := normaliseCache(w.cache, w.img.Time, func(p, rel string, mode fs.FileMode) error {
		e := layers.Entry{Name: path.Join(prefix, rel), Mode: mode, ModTime: keep}
		if mode.IsRegular() {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			e.Src, e.Size = p, fi.Size()
			w.res.Files++
			w.res.Bytes += e.Size
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("warming the build cache: %w", err)
	}
	w.res.Entries = entries
	return nil
}
