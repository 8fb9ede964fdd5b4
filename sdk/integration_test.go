package sdk

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
)

// realOptions configures Resolve the way cmd/gorootimg does
// (EnvOptions of the environment and 'go env'), so the releases downloaded
// here serve every other test.
func realOptions(t *testing.T) Options {
	t.Helper()
	out, err := exec.Command("go", GoEnvArgs()...).Output()
	if err != nil {
		t.Skipf("no go command to read GOPROXY and GOSUMDB from: %v", err)
	}
	var ge map[string]string
	if err := json.Unmarshal(out, &ge); err != nil {
		t.Fatal(err)
	}
	o, err := EnvOptions(os.Getenv, ge)
	if err != nil {
		t.Skipf("no cache directory: %v", err)
	}
	o.Logf = t.Logf
	return o
}

// skipUnlessProxy skips when the first proxy in GOPROXY does not answer.
func skipUnlessProxy(t *testing.T, o Options) {
	t.Helper()
	entries, err := parseGOPROXY(o.GOPROXY)
	if err != nil || entries[0].url == "off" || entries[0].url == "direct" {
		t.Skipf("GOPROXY %q names no module proxy", o.GOPROXY)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", entries[0].url+"/"+toolchainModule+"/@v/list", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Skipf("module proxy unreachable, skipping the real-release test: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Skipf("module proxy answered %s for the %s version list, skipping", resp.Status, toolchainModule)
	}
}

// TestRealReleases downloads two real releases through the module proxy and
// the checksum database (one ≤ 1.24, one ≥ 1.25), and proves the normalised
// trees work: bin/go version, and a hello world built and run with them.
func TestRealReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads Go releases; skipped with -short")
	}
	o := realOptions(t)
	skipUnlessProxy(t, o)
	ctx := context.Background()
	host := imageref.HostPlatform()
	for _, tc := range []struct{ spec, wantPrefix string }{
		{"1.22.12", "go1.22.12"},
		{"1.26", "go1.26."},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			sdks, err := Resolve(ctx, tc.spec, []v1.Platform{host}, o)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.spec, err)
			}
			s := sdks[0]
			if !strings.HasPrefix(s.Version, tc.wantPrefix) || !s.Platform().Equals(host) || !strings.HasPrefix(s.Hash, "h1:") || s.Time.IsZero() {
				t.Fatalf("Resolve(%q) = %+v", tc.spec, s)
			}
			gobin := filepath.Join(s.Dir, "bin", "go")
			// Outside this module (whose go line would make an older go
			// switch toolchains) and with GOTOOLCHAIN=local, whatever the
			// go env file says: the release's own go must answer.
			cmd := exec.Command(gobin, "version")
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s version: %v\n%s", gobin, err, out)
			}
			if want := "go version " + s.Version + " " + host.String(); strings.TrimSpace(string(out)) != want {
				t.Errorf("%s version = %q, want %q", gobin, out, want)
			}
			if _, err := os.Stat(filepath.Join(s.Dir, "src", "go.mod")); err != nil {
				t.Errorf("normalised tree lacks src/go.mod: %v", err)
			}

			mod := t.TempDir()
			os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644)
			os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from\", \"gorootimg\") }\n"), 0o644)
			exe := filepath.Join(t.TempDir(), "hello")
			build := exec.Command(gobin, "build", "-o", exe, ".")
			build.Dir = mod
			build.Env = append(os.Environ(), "GOROOT="+s.Dir, "GOTOOLCHAIN=local", "GOFLAGS=-p=2", "GOPROXY=off", "GOPATH="+t.TempDir(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build with GOROOT=%s: %v\n%s", s.Dir, err, out)
			}
			out, err = exec.Command(exe).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "hello from gorootimg" {
				t.Errorf("hello built by %s printed %q, %v", s.Version, out, err)
			}

			// The checksum database, asked afresh (empty tile cache),
			// vouches for the hash the cache recorded.
			proxy, err := newProxyClient(&o)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := parseGOSUMDB(o.GOSUMDB, o.KnownSumDBKeys)
			if err != nil {
				t.Fatal(err)
			}
			tv := toolchainVersion(s.Version, host)
			h, err := lookupHash(ctx, cfg, proxy, t.TempDir(), tv)
			if err != nil || h != s.Hash {
				t.Errorf("checksum database hash of %s = %q, %v; the cache recorded %q", tv, h, err, s.Hash)
			}

			// The cached release resolves with the network off.
			off := o
			off.GOPROXY = "off"
			again, err := Resolve(ctx, s.Version, []v1.Platform{host}, off)
			if err != nil || again[0].Dir != s.Dir {
				t.Errorf("Resolve(%s) with GOPROXY=off = %v, %v; want %s from the cache", s.Version, again, err, s.Dir)
			}
		})
	}
}
