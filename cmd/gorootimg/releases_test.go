package main

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/mod/sumdb/note"
)

// TestReleasesScripts runs the scripts in testdata/releases against a
// module proxy that serves the script's proxy/ directory: GOPROXY points at
// it and GOSUMDB names a key generated for the test, so no script reaches
// the network.
func TestReleasesScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/releases",
		Setup: func(env *testscript.Env) error {
			srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(env.WorkDir, "proxy"))))
			env.Defer(srv.Close)
			_, vkey, err := note.GenerateKey(rand.Reader, "sum.example.test")
			if err != nil {
				return err
			}
			env.Setenv("GOPROXY", srv.URL)
			env.Setenv("GOSUMDB", vkey)
			env.Setenv("GOROOTIMG_CACHE", filepath.Join(env.WorkDir, "cache"))
			return nil
		},
	})
}
