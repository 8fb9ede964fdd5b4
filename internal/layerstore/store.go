package layerstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/atomicfile"
	"github.com/gorootimg/gorootimg/internal/stale"
)

// Kind names a kind of record, and the directory that holds them.
type Kind string

// The kinds of record a store keeps.
const (
	// Layers records a finished layer (and what else is known about how
	// it was made) under its content key.
	Layers Kind = "layers"
	// Platforms records the layers of one platform's image under the key
	// of its inputs.
	Platforms Kind = "platforms"
)

// Store keeps blobs and records. With a directory (Open(dir)) it is a
// cache that outlives the run:
//
//	blobs/sha256/HEX      a layer blob, named by its digest
//	layers/KEY.json       Layers records
//	platforms/KEY.json    Platforms records
//	tmp/run-*/            this run's work directories (removed by Close;
//	                      a later run removes those of a killed one)
//
// Without one it is a temporary directory that Close removes: blobs live
// there for the run, and records are neither written nor found.
type Store struct {
	dir        string
	tmp        string // this run's temporary files, on the file system of dir
	persistent bool
}

// staleAfter is how old a run's temporary directory must be before a later
// run removes it: a run that old was killed (a live one is far younger).
const staleAfter = 24 * time.Hour

// Open opens the store in dir, creating it when needed; an empty dir opens
// a temporary store. Close the store when the run is over.
func Open(dir string) (*Store, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "gorootimg-build-")
		if err != nil {
			return nil, fmt.Errorf("creating work directory: %w", err)
		}
		return &Store{dir: d, tmp: d}, nil
	}
	for _, sub := range []string{"blobs/sha256", string(Layers), string(Platforms), "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("creating build cache: %w", err)
		}
	}
	stale.Remove(filepath.Join(dir, "tmp"), "run-", staleAfter, nil)
	tmp, err := os.MkdirTemp(filepath.Join(dir, "tmp"), "run-")
	if err != nil {
		return nil, fmt.Errorf("creating build cache: %w", err)
	}
	return &Store{dir: dir, tmp: tmp, persistent: true}, nil
}

// Close removes the run's temporary files: its work directories, and
// everything of a temporary store.
func (s *Store) Close() error { return os.RemoveAll(s.tmp) }

// Persistent reports whether the store outlives the run (Open was given a
// directory): only then are records kept, and only then is it worth
// syncing what goes into it.
func (s *Store) Persistent() bool { return s.persistent }

// WorkDir makes a new directory for the run's temporary files, named
// prefix and a random suffix.
func (s *Store) WorkDir(prefix string) (string, error) {
	d, err := os.MkdirTemp(s.tmp, prefix)
	if err != nil {
		return "", fmt.Errorf("creating work directory: %w", err)
	}
	return d, nil
}

// TempPath returns a new path to write a blob of content key at, before
// PutBlob moves it into place. Two writers of the same key at once (the
// reset layer of a multi-platform build on a base) each get their own
// path, or one's PutBlob would move the other's file away.
func (s *Store) TempPath(key string) (string, error) {
	d, err := s.WorkDir("layer-" + key[:min(len(key), 16)] + "-")
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "layer"), nil
}

// BlobPath is where the blob of digest d is kept.
func (s *Store) BlobPath(d v1.Hash) string {
	return filepath.Join(s.dir, "blobs", d.Algorithm, d.Hex)
}

// PutBlob moves the file src, whose digest is d, to its blob path and
// returns that path.
func (s *Store) PutBlob(src string, d v1.Hash) (string, error) {
	dst := s.BlobPath(d)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("storing layer: %w", err)
	}
	if err := os.Rename(src, dst); err != nil {
		return "", fmt.Errorf("storing layer: %w", err)
	}
	return dst, nil
}

// PutRecord writes v as JSON to the record of kind k named name (a key,
// or a key and a suffix such as "KEY.warm"), replacing it atomically. A
// temporary store keeps no records: PutRecord does nothing there.
func (s *Store) PutRecord(k Kind, name string, v any) error {
	if !s.persistent {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.recordPath(k, name), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing build cache: %w", err)
	}
	return nil
}

// GetRecord reads the record of kind k named name into v and reports
// whether there was one. A missing or unreadable record is a miss, as is
// every record of a temporary store.
func (s *Store) GetRecord(k Kind, name string, v any) (bool, error) {
	if !s.persistent {
		return false, nil
	}
	b, err := os.ReadFile(s.recordPath(k, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading build cache: %w", err)
	}
	if json.Unmarshal(b, v) != nil {
		return false, nil
	}
	return true, nil
}

func (s *Store) recordPath(k Kind, name string) string {
	return filepath.Join(s.dir, string(k), name+".json")
}
