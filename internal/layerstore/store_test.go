package layerstore

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// writeBlob writes content at a new temporary path of key and stores it.
func writeBlob(s *Store, key string, content []byte) (string, error) {
	tmp, err := s.TempPath(key)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(content)
	return s.PutBlob(tmp, v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])})
}

// TestSameKeyConcurrently writes two blobs of one key at once, as the two
// platforms of a multi-platform build on a base do with their reset layer:
// both must be stored. With one temporary path per key, one writer's
// PutBlob moved the other's file away ("storing layer: rename ...: no such
// file or directory", seen in CI).
func TestSameKeyConcurrently(t *testing.T) {
	content := make([]byte, 1<<16)
	for i := range 40 {
		s, err := Open(filepath.Join(t.TempDir(), "cache"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var p string
				if p, errs[k] = writeBlob(s, "0123456789abcdef0123456789abcdef", content); errs[k] == nil {
					if b, err := os.ReadFile(p); err != nil || len(b) != len(content) {
						t.Errorf("round %d, writer %d: stored blob has %d bytes, %v; want %d", i, k, len(b), err, len(content))
					}
				}
			}()
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Fatalf("round %d, writer %d: %v", i, k, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStaleRunsRemoved checks that a run killed long ago (its temporary
// directory left in the cache) is cleaned up by the next Open, while a
// recent one (maybe still running) is left alone.
func TestStaleRunsRemoved(t *testing.T) {
	cache := t.TempDir()
	old, recent := filepath.Join(cache, "tmp", "run-killed"), filepath.Join(cache, "tmp", "run-busy")
	for _, d := range []string{old, recent} {
		if err := os.MkdirAll(filepath.Join(d, "layer-partial"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cache)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(old); err == nil {
		t.Errorf("stale run directory %s was not removed", old)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("recent run directory %s was removed: %v", recent, err)
	}
}

type record struct {
	N int `json:"n"`
}

// TestRecords: a cache keeps records and blobs across runs, in the layout
// of the cache version; a temporary store keeps neither after Close, nor
// records at all; an unreadable record is a miss.
func TestRecords(t *testing.T) {
	cache := t.TempDir()
	for _, tc := range []struct {
		name       string
		dir        string
		persistent bool
	}{
		{"cache", cache, true},
		{"temporary", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if s.Persistent() != tc.persistent {
				t.Errorf("Open(%q).Persistent() = %v, want %v", tc.dir, s.Persistent(), tc.persistent)
			}
			blob, err := writeBlob(s, "key", []byte("layer"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PutRecord(Layers, "key", record{N: 1}); err != nil {
				t.Fatal(err)
			}
			var r record
			ok, err := s.GetRecord(Layers, "key", &r)
			if err != nil || ok != tc.persistent || tc.persistent && r.N != 1 {
				t.Errorf("GetRecord(layers, key) = %v, %v, %+v; want %v", ok, err, r, tc.persistent)
			}
			if ok, err := s.GetRecord(Platforms, "key", &r); ok || err != nil {
				t.Errorf("GetRecord(platforms, key) = %v, %v; want a miss", ok, err)
			}
			s.Close()
			_, err = os.Stat(blob)
			if kept := err == nil; kept != tc.persistent {
				t.Errorf("blob %s kept after Close: %v, want %v", blob, kept, tc.persistent)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(cache, "layers", "key.json")); err != nil {
		t.Errorf("the record is not at layers/KEY.json: %v", err)
	}
	os.WriteFile(filepath.Join(cache, "platforms", "bad.json"), []byte("{"), 0o644)
	s, err := Open(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.GetRecord(Platforms, "bad", &record{}); ok || err != nil {
		t.Errorf("GetRecord of a torn record = %v, %v; want a miss", ok, err)
	}
}

// TestKeys: a key changes with any line, and a tree's fingerprint with
// any file's size.
func TestKeys(t *testing.T) {
	if HashLines("a", "b") == HashLines("a", "b", "") || HashLines("a", "b") == HashLines("ab") {
		t.Errorf("HashLines does not tell line lists apart")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("1"), 0o644)
	a, err := TreeID(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "f"), []byte("12"), 0o644)
	b, err := TreeID(dir)
	if err != nil || a == b {
		t.Errorf("TreeID after a file grew = %s, %v; want other than %s", b, err, a)
	}
	if _, err := TreeID(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("TreeID(missing) = nil error")
	}
}
