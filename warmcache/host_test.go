package warmcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

// checkHostEqualsSandbox warms the same image on the privilege-free path
// (the SDK at its own path for GOROOT, as the host's toolchain of the
// release) and compares every entry with the sandbox's res: the same
// names, modes, times and bytes, but for the sandbox's package index
// entries, which the host path drops (docs/warm-cache.md).
func checkHostEqualsSandbox(t *testing.T, s *sdk.SDK, res *Result, imageTime time.Time) {
	t.Helper()
	var parents []layers.Entry
	for _, e := range res.Entries {
		if !strings.HasPrefix("/"+e.Name+"/", res.GOCACHE+"/") && "/"+e.Name != res.GOCACHE {
			parents = append(parents, e)
		}
	}
	f := &imageFacts{env: envMap(testEnv), version: s.Version, parents: parents}
	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	start := time.Now()
	host, err := warmHost(context.Background(), f, p, Image{Env: testEnv, Time: imageTime}, s.Dir, t.TempDir(), []Variant{Std}, &options{log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("host path: %v, %d files", time.Since(start).Round(100*time.Millisecond), host.Files)
	if host.Path != PathHost || res.Path != PathSandbox {
		t.Errorf("paths %q and %q, want %q and %q", host.Path, res.Path, PathHost, PathSandbox)
	}
	want, index := entryDigests(t, res.Entries), 0
	for name, d := range want {
		if strings.HasPrefix(d, "go index v") {
			delete(want, name)
			index++
		}
	}
	for name, d := range want { // the index entries' action entries
		if f := strings.Fields(d); strings.HasSuffix(name, "-a") && len(f) > 2 {
			if _, ok := want["go-build/"+f[2][:2]+"/"+f[2]+"-d"]; !ok {
				delete(want, name)
			}
		}
	}
	got := entryDigests(t, host.Entries)
	for name, d := range want {
		if got[name] != d {
			t.Errorf("entry %s: host path %.80q, sandbox %.80q", name, got[name], d)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("entry %s only on the host path", name)
		}
	}
	t.Logf("host path = sandbox path but for %d package index outputs: %d entries compared", index, len(want))
}

// entryDigests maps each entry under a cache to its mode, time and
// content ("go index v..." and action entries as text, others hashed).
func entryDigests(t *testing.T, es []layers.Entry) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, e := range es {
		i := strings.Index(e.Name, "go-build")
		if i < 0 {
			continue
		}
		v := e.Mode.String() + " " + e.ModTime.UTC().Format(time.RFC3339)
		if e.Src != "" {
			b, err := os.ReadFile(e.Src)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			switch {
			case strings.HasPrefix(string(b), "go index v"):
				v = "go index v " + v
			case strings.HasSuffix(e.Name, "-a"):
				v = string(b) + v
			default:
				v += " " + hex.EncodeToString(sum[:])
			}
		}
		m[filepath.ToSlash(e.Name[i:])] = v
	}
	return m
}
