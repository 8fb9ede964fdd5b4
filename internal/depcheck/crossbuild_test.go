package depcheck

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/tools/go/packages"
)

// TestCrossBuild type-checks every package of the module, with all its
// dependencies from source, for darwin and windows (CGO_ENABLED=0), so a
// Linux-only call (syscall.MNT_DETACH, say) outside a _linux.go file or a
// build constraint fails here rather than on a user's machine.
//
// It type-checks rather than runs GOOS=... go build ./...: what breaks a
// build for another OS in this module is a name that OS lacks or a file
// its constraints drop, and the type checker finds both in about 7 s per
// OS, where the cold build compiled every dependency twice more (206 s of
// CI on two cores). Code generation and linking do not depend on our
// code's OS choices. GOROOTIMG_CROSSBUILD=build runs the real builds too.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: type-checking the module twice with its dependencies takes 15 s or more (-short)")
	}
	for _, goos := range []string{"darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			start := time.Now()
			cfg := &packages.Config{
				Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
					packages.NeedImports | packages.NeedDeps,
				Env: append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0"),
			}
			pkgs, err := packages.Load(cfg, mod+"/...")
			if err != nil {
				t.Fatalf("loading the module for %s: %v", goos, err)
			}
			n := 0
			packages.Visit(pkgs, nil, func(p *packages.Package) {
				n++
				for _, e := range p.Errors {
					t.Errorf("GOOS=%s: %s: %v", goos, p.PkgPath, e)
				}
			})
			if len(pkgs) < 10 || n < 100 {
				t.Fatalf("GOOS=%s: type-checked %d packages of the module and %d in all; want the whole module and its dependencies", goos, len(pkgs), n)
			}
			t.Logf("GOOS=%s: %d packages (%d with dependencies) type-checked in %v", goos, len(pkgs), n, time.Since(start).Round(100*time.Millisecond))
			if os.Getenv("GOROOTIMG_CROSSBUILD") == "build" {
				buildFor(t, goos)
			}
		})
	}
}

// buildFor runs GOOS=goos go build ./... in the module (GOROOTIMG_CROSSBUILD=build).
func buildFor(t *testing.T, goos string) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("GOOS=%s go build ./...: %v\n%s", goos, err, out)
	}
	t.Logf("GOOS=%s go build ./... took %v", goos, time.Since(start).Round(100*time.Millisecond))
}
