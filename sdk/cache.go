package sdk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/internal/stale"
)

// The cache directory holds:
//
//	sdk/KEY/          a normalised, read-only GOROOT; KEY is derived from the
//	                  content hash of its source (module h1:, archive sha256,
//	                  image digest plus GOROOT path)
//	index/toolchain/V the verified h1: hash of golang.org/toolchain@V, so a
//	                  release resolves with the network off
//	index/list        the proxy's last golang.org/toolchain version list
//	sumdb/...         checksum database tiles and the verified tree head
//	locks/KEY.lock    flock(2) locks, one per entry
//	tmp/              downloads and extractions in progress; renamed into
//	                  place when complete, removed on failure
type cache struct{ dir string }

func newCache(dir string) (*cache, error) {
	if dir == "" {
		return nil, errors.New("no cache directory: set Options.CacheDir")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening cache %q: %w", dir, err)
	}
	for _, d := range []string{"sdk", "index/toolchain", "locks", "tmp", "sumdb"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("opening cache: %w", err)
		}
	}
	c := &cache{dir: abs}
	c.removeStale(24 * time.Hour)
	return c, nil
}

// removeStale removes what crashed processes left in tmp/ long ago, for
// entries nobody retried (a retry cleans its own under the lock).
func (c *cache) removeStale(age time.Duration) {
	stale.Remove(filepath.Join(c.dir, "tmp"), "", age, removeTree)
}

// contentKey turns a content hash ("h1:...", "sha256:...") and any
// qualifiers into a file-name-safe key.
func contentKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func (c *cache) treeDir(key string) string { return filepath.Join(c.dir, "sdk", key) }

// lock takes an exclusive lock for key, waiting for other processes.
func (c *cache) lock(ctx context.Context, key string) (func(), error) {
	p := filepath.Join(c.dir, "locks", key+".lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking cache entry: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- flock(f) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", p, err)
		}
	case <-ctx.Done():
		f.Close() // the flock call returns with an error once the file is closed
		return nil, ctx.Err()
	}
	return func() { f.Close() }, nil
}

// haveTree reports whether a complete tree for key is in the cache.
func (c *cache) haveTree(key string) bool {
	fi, err := os.Stat(c.treeDir(key))
	return err == nil && fi.IsDir()
}

// install fills the cache entry key, unless another process already did,
// and returns its directory. what names the source in errors. fill writes a GOROOT into the directory it is
// given; install then normalises it, makes it read-only and renames it into
// place. On any failure nothing is left under sdk/.
func (c *cache) install(ctx context.Context, key, what string, fill func(dir string) error) (string, error) {
	dst := c.treeDir(key)
	if c.haveTree(key) {
		return dst, nil
	}
	unlock, err := c.lock(ctx, key)
	if err != nil {
		return "", err
	}
	defer unlock()
	if c.haveTree(key) {
		return dst, nil
	}
	c.cleanTemps(key)
	tmp, err := os.MkdirTemp(filepath.Join(c.dir, "tmp"), key+".*")
	if err != nil {
		return "", fmt.Errorf("extracting into the cache: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			removeTree(tmp)
		}
	}()
	root := filepath.Join(tmp, "go")
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", err
	}
	if err := fill(root); err != nil {
		return "", err
	}
	if err := normalize(root); err != nil {
		return "", err
	}
	if _, err := Open(root); err != nil {
		// Name the source, not the temporary directory.
		return "", errors.New(strings.ReplaceAll(err.Error(), root, what))
	}
	if err := syncTree(root); err != nil {
		return "", err
	}
	if err := makeReadOnly(root); err != nil {
		return "", err
	}
	// Renaming a directory to another parent needs write permission on it
	// (its ".." changes), so the top directory stays writable until then.
	if err := os.Chmod(root, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(root, dst); err != nil {
		return "", fmt.Errorf("installing into the cache: %w", err)
	}
	if err := os.Chmod(dst, 0o555); err != nil {
		return "", fmt.Errorf("installing into the cache: %w", err)
	}
	syncDir(filepath.Dir(dst))
	ok = true
	os.Remove(tmp)
	return dst, nil
}

// cleanTemps removes what an interrupted install of key left in tmp/.
// The caller holds key's lock, so no live process is using them.
func (c *cache) cleanTemps(key string) {
	m, _ := filepath.Glob(filepath.Join(c.dir, "tmp", key+".*"))
	for _, p := range m {
		removeTree(p)
	}
}

// tempFile creates a file in tmp/ for a download.
func (c *cache) tempFile(pattern string) (*os.File, error) {
	return os.CreateTemp(filepath.Join(c.dir, "tmp"), pattern)
}

// syncTree flushes the tree to disk before it is renamed into place, so
// that a crash after the rename cannot leave a tree of empty files in the
// cache. One sync(2) is far cheaper than an fsync per file.
func syncTree(root string) error {
	syncAll()
	return nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// readIndex reads a small index file; "" when absent.
func (c *cache) readIndex(name string) string {
	b, err := os.ReadFile(filepath.Join(c.dir, "index", filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (c *cache) writeIndex(name, value string) error {
	p := filepath.Join(c.dir, "index", filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, []byte(value+"\n"), 0o644)
}
