//go:build linux

package runtimetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// CrictlModule is the crictl release the CRI rows use, installed with
// go install from the module proxy.
const CrictlModule = "sigs.k8s.io/cri-tools/cmd/crictl@v1.34.0"

// needRoot skips t unless it runs as root with the binaries installed.
func needRoot(t testing.TB, what string, bins ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipping: %s needs root here; CI runs as root", what)
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("skipping: %s: %s is not installed (.ci/run installs docker.io and containerd with apt-get)", what, b)
		}
	}
}

// shortDir makes a temporary directory with a short path (unix sockets
// live there), removed when the test ends.
func shortDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// NeedDocker starts a private dockerd for the test and stops it when the
// test ends; it skips the test when dockerd or the docker client is
// missing or the test is not root.
func NeedDocker(t testing.TB) *Dockerd {
	t.Helper()
	needRoot(t, "dockerd", "dockerd", DockerCLI, Runc)
	dir := shortDir(t, "dk")
	start := time.Now()
	d, err := StartDockerd(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dockerd (PID %d) answered in %v", d.PID(), time.Since(start).Round(100*time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dockerd log:\n%s", d.Log(4000))
		}
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// NeedContainerd starts a private containerd with the CRI plugin, the
// pause image imported, for the test, and stops it when the test ends;
// it skips the test when containerd, ctr or runc is missing or the test is
// not root. crictl comes from the fixture store (Crictl).
func NeedContainerd(t testing.TB) *Containerd {
	t.Helper()
	needRoot(t, "containerd", "containerd", "ctr", Runc)
	crictl := Crictl(t)
	dir := shortDir(t, "ctd")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	pause, err := BuildPause(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartContainerd(ctx, dir, ContainerdOptions{SandboxImage: PauseRef, Crictl: crictl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("containerd log:\n%s", c.Log(4000))
		}
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	if _, err := c.ImportImage(ctx, pause); err != nil {
		t.Fatal(err)
	}
	t.Logf("containerd (PID %d) answered, pause image imported, in %v", c.PID(), time.Since(start).Round(100*time.Millisecond))
	return c
}

// Crictl returns crictl (CrictlModule) from the fixture store, installing
// it there with go install the first time.
func Crictl(t testing.TB) string {
	t.Helper()
	dir := fixture.Dir(t, "crictl", fixture.Key(CrictlModule, "linux"), func(dir string) error {
		cmd := exec.Command("go", "install", "-ldflags=-s -w", CrictlModule)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
		_, err := run(cmd)
		return err
	})
	return filepath.Join(dir, "crictl")
}
