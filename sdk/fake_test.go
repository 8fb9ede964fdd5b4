package sdk

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

// fakeFile is one file of a fake Go SDK.
type fakeFile struct {
	name string
	body string
	mode int64
	link string // symlink target
	hard string // hard link target
	typ  byte   // overrides the tar type
	bare bool   // no explicit parent directory entries in tar streams
}

// fakeGOROOT returns the files of a tiny Go SDK for release v on p.
func fakeGOROOT(v string, p v1.Platform) []fakeFile {
	tool := "pkg/tool/" + p.OS + "_" + p.Architecture
	return []fakeFile{
		{name: "VERSION", body: v + "\ntime 2025-02-04T20:39:04Z\n", mode: 0o644},
		{name: "bin/go", body: "#!/bin/sh\necho fake go\n", mode: 0o755},
		{name: "bin/gofmt", body: "fake gofmt", mode: 0o755},
		{name: tool + "/compile", body: "fake compile", mode: 0o755},
		{name: "src/go.mod", body: "module std\n", mode: 0o644},
		{name: "src/cmd/go.mod", body: "module cmd\n", mode: 0o644},
		{name: "src/make.bash", body: "#!/bin/bash\n", mode: 0o755},
		{name: "src/fmt/print.go", body: "package fmt\n", mode: 0o644},
		{name: "lib/wasm/go_js_wasm_exec", body: "#!/bin/sh\n", mode: 0o755},
		{name: "lib/time/zoneinfo.zip", body: "zones", mode: 0o644},
	}
}

// moduleZip builds a golang.org/toolchain module zip the way cmd/distpack
// does: every file below "golang.org/toolchain@VERSION/", go.mod renamed
// _go.mod, no exec bits.
func moduleZip(t *testing.T, tv string, files []fakeFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		name := f.name
		if filepath.Base(name) == "go.mod" {
			name = strings.TrimSuffix(name, "go.mod") + "_go.mod"
		}
		w, err := zw.Create(toolchainModule + "@" + tv + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hashZip(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.zip")
	os.WriteFile(p, data, 0o644)
	h, err := dirhash.HashZip(p, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tarBytes writes files as a tar stream, each name prefixed with prefix.
func tarBytes(t *testing.T, prefix string, files []fakeFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		name := prefix + f.name
		// Explicit parent directories, as release archives have them.
		for d := filepath.Dir(name); d != "." && d != "/" && f.typ == 0 && !f.bare; d = filepath.Dir(d) {
			if !dirs[d] && !strings.Contains(d, "..") && !strings.HasPrefix(d, "/") && !strings.Contains(filepath.Base(d), ".wh.") {
				dirs[d] = true
			}
		}
	}
	var ds []string
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	for _, d := range ds {
		tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for _, f := range files {
		h := &tar.Header{Name: prefix + f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		switch {
		case f.typ != 0:
			h.Typeflag, h.Size = f.typ, 0
			if f.typ == tar.TypeDir {
				h.Name += "/"
			}
		case f.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		case f.hard != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, f.hard, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(f.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// fakeProxy is a module proxy serving golang.org/toolchain versions, with a
// checksum database behind <proxy>/sumdb/<name>/ signed by a key the test
// generated.
type fakeProxy struct {
	t      *testing.T
	srv    *httptest.Server
	name   string // checksum database name
	vkey   string
	mu     sync.Mutex
	zips   map[string][]byte // version → zip served
	sums   map[string]string // version → h1: hash the database records
	hits   map[string]int    // path → requests
	status map[string]int    // path suffix → forced status
	hook   func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeProxy(t *testing.T) *fakeProxy {
	t.Helper()
	fp := &fakeProxy{t: t, name: "sum.example.test", zips: map[string][]byte{}, sums: map[string]string{}, hits: map[string]int{}, status: map[string]int{}}
	skey, vkey, err := note.GenerateKey(rand.Reader, fp.name)
	if err != nil {
		t.Fatal(err)
	}
	fp.vkey = vkey
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		fp.mu.Lock()
		defer fp.mu.Unlock()
		h, ok := fp.sums[vers]
		if path != toolchainModule || !ok {
			return nil, fmt.Errorf("no such module %s@%s", path, vers)
		}
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod h1:fakegomodhash=\n", path, vers, h, path, vers)), nil
	}))
	dbPrefix := "/sumdb/" + fp.name
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fp.mu.Lock()
		fp.hits[r.URL.Path]++
		hook := fp.hook
		var forced int
		for suffix, st := range fp.status {
			if strings.HasSuffix(r.URL.Path, suffix) {
				forced = st
			}
		}
		fp.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		if forced != 0 {
			http.Error(w, http.StatusText(forced), forced)
			return
		}
		switch {
		case r.URL.Path == dbPrefix+"/supported":
			w.WriteHeader(200)
		case strings.HasPrefix(r.URL.Path, dbPrefix+"/"):
			http.StripPrefix(dbPrefix, db).ServeHTTP(w, r)
		case r.URL.Path == "/"+toolchainModule+"/@v/list":
			fp.mu.Lock()
			var vs []string
			for v := range fp.zips {
				vs = append(vs, v)
			}
			fp.mu.Unlock()
			sort.Strings(vs)
			fmt.Fprintln(w, strings.Join(vs, "\n"))
		case strings.HasPrefix(r.URL.Path, "/"+toolchainModule+"/@v/") && strings.HasSuffix(r.URL.Path, ".zip"):
			v := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"+toolchainModule+"/@v/"), ".zip")
			fp.mu.Lock()
			z, ok := fp.zips[v]
			fp.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(z)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

// add serves release v for p with a correct checksum database entry.
func (fp *fakeProxy) add(v string, p v1.Platform) string {
	tv := toolchainVersion(v, p)
	z := moduleZip(fp.t, tv, fakeGOROOT(v, p))
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.zips[tv] = z
	fp.sums[tv] = hashZip(fp.t, z)
	return tv
}

func (fp *fakeProxy) count(path string) int {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.hits[path]
}

func (fp *fakeProxy) options(cacheDir string) Options {
	return Options{
		CacheDir: cacheDir,
		GOPROXY:  fp.srv.URL,
		GOSUMDB:  fp.vkey,
	}
}

// cacheEntries lists what is in the cache's sdk/ and tmp/ directories.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, d := range []string{"sdk", "tmp"} {
		es, _ := os.ReadDir(filepath.Join(dir, d))
		for _, e := range es {
			out = append(out, d+"/"+e.Name())
		}
	}
	return out
}
