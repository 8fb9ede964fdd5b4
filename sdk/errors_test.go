package sdk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestResolveErrorTypes checks that mistakes in the source come back as
// the typed errors the CLI maps to its flags, and that their messages
// name values, not flags.
func TestResolveErrorTypes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	archive := writeFile(t, dir, "go1.22.5.linux-amd64.tar.gz", gzipBytes(tarBytes(t, "go/", fakeGOROOT("go1.22.5", linuxAMD64))))
	ps := []v1.Platform{linuxAMD64}
	for _, tc := range []struct {
		name, spec string
		opts       Options
		wantSpec   string
		wantIs     error // nil: any *SourceError
		wantMsg    string
	}{
		{"unknown", "frob", Options{}, "frob", ErrUnknownSource, `Go SDK source "frob": not a release`},
		{"no local go", "local", Options{}, "local", ErrNoLocalGo, "Go SDK source local: no go command found"},
		{"empty is local", "", Options{}, "local", ErrNoLocalGo, "Go SDK source local: no go command found"},
		{"checksum of a directory", dir, Options{SHA256: "abc"}, dir, ErrChecksumNotArchive, "Go SDK source " + dir + ": a SHA-256 checksum is given"},
		{"missing archive", filepath.Join(dir, "none.tar.gz"), Options{}, filepath.Join(dir, "none.tar.gz"), nil, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(ctx, tc.spec, ps, tc.opts)
			var se *SourceError
			if !errors.As(err, &se) || se.Spec != tc.wantSpec {
				t.Fatalf("Resolve(%q) error = %#v, want a *SourceError for %q", tc.spec, err, tc.wantSpec)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("Resolve(%q) error = %v, want one that is %v", tc.spec, err, tc.wantIs)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantMsg) || strings.Contains(msg, "--") {
				t.Errorf("Resolve(%q) error = %q, want it to contain %q and name no flag", tc.spec, msg, tc.wantMsg)
			}
		})
	}

	want := strings.Repeat("0", 64)
	_, err := Resolve(ctx, archive, ps, Options{CacheDir: tempCache(t), SHA256: "sha256:" + want})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.File != archive || ce.Want != want || len(ce.Got) != 64 {
		t.Errorf("Resolve(archive, wrong SHA256) error = %#v, want a *ChecksumError for %s", err, archive)
	}
}
