package recipes

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWarmCacheKey reads warm-cache from a recipe file and inherits it
// through extends; the recipe's digest does not change with it (the key
// adds a layer, it changes no file the recipe selects).
func TestWarmCacheKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "warm.yaml"), []byte("extends: ci\nwarm-cache: std,race\nrules:\n  - include: [VERSION]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "child.yaml"), []byte("extends: warm.yaml\nrules:\n  - include: [go.env]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cold.yaml"), []byte("extends: ci\nrules:\n  - include: [VERSION]\n"), 0o644)
	warm, err := Lookup(filepath.Join(dir, "warm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if warm.WarmCache != "std,race" {
		t.Errorf("warm.yaml WarmCache = %q, want %q", warm.WarmCache, "std,race")
	}
	child, err := Lookup(filepath.Join(dir, "child.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if child.WarmCache != "std,race" {
		t.Errorf("child.yaml WarmCache = %q, want it inherited: %q", child.WarmCache, "std,race")
	}
	cold, err := Lookup(filepath.Join(dir, "cold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cold.WarmCache != "" || cold.Digest() != warm.Digest() {
		t.Errorf("cold.yaml WarmCache = %q, digest %s; want empty and the warm recipe's digest %s", cold.WarmCache, cold.Digest(), warm.Digest())
	}
	if _, err := Parse("bad", []byte("warm-cach: std\nrules:\n  - include: [VERSION]\n")); err == nil {
		t.Error("Parse(warm-cach:) = nil error, want an unknown-key error")
	}
}
