package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gorootimg/gorootimg/testkit/fixture"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gorootimg": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each is a txtar file
// of gorootimg invocations and the output they must give. Scripts with
// fake SDKs keep a cache in $WORK; those that assemble a real one use
// $SHAREDCACHE.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			// SHAREDCACHE is the suite's shared gorootimg cache (layers keyed
			// by content): scripts that assemble real SDKs use it so the
			// full SDK is compressed once per suite, not once per script.
			env.Setenv("SHAREDCACHE", fixture.CacheDir(t))
			return nil
		},
	})
}
