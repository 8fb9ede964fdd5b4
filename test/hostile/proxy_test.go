package hostile

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

// fakeProxy serves one golang.org/toolchain version from a zip file, with
// a checksum database (below /sumdb/NAME/, as a proxy may serve it) that
// records the zip's real hash: the hostile zip is "authentic", so only the
// extractor stands between it and the cache.
type fakeProxy struct {
	srv  *httptest.Server
	vkey string
	mu   sync.Mutex
	zip  []byte
	hash string
}

func newFakeProxy(t *testing.T) *fakeProxy {
	t.Helper()
	const dbName = "sum.hostile.test"
	skey, vkey, err := note.GenerateKey(rand.Reader, dbName)
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakeProxy{vkey: vkey}
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		fp.mu.Lock()
		defer fp.mu.Unlock()
		if path != ModulePath || vers != ModuleVersion || fp.hash == "" {
			return nil, fmt.Errorf("no such module %s@%s", path, vers)
		}
		return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod h1:fakegomodhash=\n", path, vers, fp.hash, path, vers)), nil
	}))
	dbPrefix := "/sumdb/" + dbName
	mod := "/" + ModulePath + "/@v/"
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == dbPrefix+"/supported":
			w.WriteHeader(http.StatusOK)
		case strings.HasPrefix(p, dbPrefix+"/"):
			http.StripPrefix(dbPrefix, db).ServeHTTP(w, r)
		case p == mod+"list":
			fmt.Fprintln(w, ModuleVersion)
		case p == mod+ModuleVersion+".info":
			fmt.Fprintf(w, `{"Version":%q,"Time":"2025-02-04T20:56:49Z"}`+"\n", ModuleVersion)
		case p == mod+ModuleVersion+".mod":
			fmt.Fprintf(w, "module %s\n", ModulePath)
		case p == mod+ModuleVersion+".zip":
			fp.mu.Lock()
			z := fp.zip
			fp.mu.Unlock()
			w.Write(z)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

// serve makes the proxy serve the zip in file, recording its hash.
func (fp *fakeProxy) serve(t *testing.T, file string) {
	t.Helper()
	z, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		// A zip dirhash cannot read gets a hash of its bytes: the proxy
		// still serves it, the client must still refuse it.
		h = "h1:" + filepath.Base(file)
	}
	fp.mu.Lock()
	fp.zip, fp.hash = z, h
	fp.mu.Unlock()
}
