//go:build unix

package buildkittest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// toolsDir returns hack/buildkit, found from this source file so that it
// works from any package's test directory in a clean clone.
func toolsDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("buildkittest: cannot locate source file")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "hack", "buildkit")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("buildkittest: tools module not found: %v", err)
	}
	return dir
}

// Binaries returns buildkitd and buildctl built from hack/buildkit. They are
// cached in the gorootimg cache dir under a key derived from the tools
// module's go.mod and go.sum, so a CI run builds them once (a few minutes
// on two cores) and every later test reuses them. Concurrent test binaries
// serialise on a lock file.
func Binaries(t testing.TB) (buildkitd, buildctl string) {
	t.Helper()
	src := toolsDir(t)
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatalf("buildkittest: %v", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	key := hex.EncodeToString(h.Sum(nil))[:16]
	dir := filepath.Join(fixture.CacheDir(t), "buildkit", key)
	buildkitd, buildctl = filepath.Join(dir, "buildkitd"), filepath.Join(dir, "buildctl")
	if exists(buildkitd) && exists(buildctl) {
		return buildkitd, buildctl
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatalf("buildkittest: %v", err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("buildkittest: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("buildkittest: locking %s: %v", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if exists(buildkitd) && exists(buildctl) {
		return buildkitd, buildctl
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-"+key+"-")
	if err != nil {
		t.Fatalf("buildkittest: %v", err)
	}
	defer os.RemoveAll(tmp)
	t.Logf("building buildkitd and buildctl from %s into %s (once per tools version)", src, dir)
	// -s -w: no symbol table or DWARF, which a test daemon never needs and
	// the linker spends a good part of its time on.
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp+string(filepath.Separator), "tool")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildkittest: go build tool in %s: %v\n%s", src, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatalf("buildkittest: %v", err)
	}
	return buildkitd, buildctl
}

func exists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Options configures Start.
type Options struct {
	// InsecureRegistries are host:port registries buildkitd reaches over
	// plain HTTP (a testenv registry without TLS).
	InsecureRegistries []string
}

// snapshotter is the OCI worker's snapshotter: GOROOTIMG_BUILDKIT_SNAPSHOTTER,
// else auto, which buildkitd resolves to overlayfs where the kernel and file
// system support it (here they do) and to native elsewhere. The native one
// copies every parent snapshot in full, which on a Debian base with gcc and
// Go made the Dockerfile builds and the daemon's cleanup minutes slower.
func snapshotter() string {
	if s := os.Getenv("GOROOTIMG_BUILDKIT_SNAPSHOTTER"); s != "" {
		return s
	}
	return "auto"
}

// Daemon is a running buildkitd.
type Daemon struct {
	// Addr is the daemon's address, "unix:///tmp/.../bk.sock".
	Addr string
	// Dir holds the daemon's root, socket, config and log.
	Dir      string
	buildctl string
}

// Start builds (or reuses) the binaries and starts buildkitd with the OCI
// worker (the snapshotter of snapshotter), private to the test, and stops it when
// the test ends. It skips the test when not root: rootless buildkitd needs
// user namespaces and rootlesskit that CI does not set up.
func Start(t testing.TB, o Options) *Daemon {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: buildkitd needs root here (rootless mode needs rootlesskit); CI runs as root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("skipping: buildkitd's OCI worker needs runc (.ci/run installs it with apt-get)")
	}
	bkd, bctl := Binaries(t)
	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "bk")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Addr: "unix://" + filepath.Join(dir, "bk.sock"), Dir: dir, buildctl: bctl}
	var cfg strings.Builder
	for _, r := range o.InsecureRegistries {
		fmt.Fprintf(&cfg, "[registry.%q]\n  http = true\n  insecure = true\n", r)
	}
	cfgFile := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bkd,
		"--root", filepath.Join(dir, "root"),
		"--addr", d.Addr,
		"--config", cfgFile,
		"--oci-worker-snapshotter="+snapshotter(),
		"--containerd-worker=false",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting buildkitd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { d.stop(t, cmd, exited, logf) })
	d.waitReady(t, exited, logf.Name())
	return d
}

// stop ends buildkitd (SIGTERM, then SIGKILL after 30 s), shows its log
// when the test failed, and removes its state.
func (d *Daemon) stop(t testing.TB, cmd *exec.Cmd, exited <-chan error, logf *os.File) {
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Logf("buildkitd did not stop within 30 s of SIGTERM: killed")
		_ = cmd.Process.Kill()
		<-exited
	}
	stopped := time.Now()
	logf.Close()
	used := snapshotter()
	b, err := os.ReadFile(logf.Name())
	if err == nil {
		// "auto snapshotter: using overlayfs"
		if _, after, ok := strings.Cut(string(b), "auto snapshotter: using "); ok {
			if f := strings.Fields(after); len(f) > 0 {
				used = "auto: " + strings.TrimRight(f[0], `"`)
			}
		}
		if t.Failed() {
			t.Logf("buildkitd log:\n%s", tail(b, 4000))
		}
	}
	unmountBelow(d.Dir)
	if err := os.RemoveAll(d.Dir); err != nil {
		t.Logf("removing buildkitd's state: %v", err)
	}
	t.Logf("buildkitd (%s snapshotter) stopped in %v, its state removed in %v",
		used, stopped.Sub(start).Round(100*time.Millisecond), time.Since(stopped).Round(100*time.Millisecond))
}

// waitReady waits until the daemon answers (it creates its state first),
// failing t when it exits or does not answer within a minute.
func (d *Daemon) waitReady(t testing.TB, exited <-chan error, logFile string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logFile)
			t.Fatalf("buildkitd exited at start: %v\n%s", err, tail(b, 4000))
		default:
		}
		c := exec.Command(d.buildctl, "--addr", d.Addr, "debug", "workers")
		if out, err := c.CombinedOutput(); err == nil && bytes.Contains(out, []byte("ID")) {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("buildkitd did not answer on %s within a minute:\n%s", d.Addr, tail(b, 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Buildctl runs buildctl --addr ADDR args... with stdin, and returns its
// stdout. buildctl's progress goes to the test log when the command fails.
func (d *Daemon) Buildctl(ctx context.Context, t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	out, err := d.TryBuildctl(ctx, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TryBuildctl is Buildctl that returns the error (with buildctl's output)
// instead of failing the test.
func (d *Daemon) TryBuildctl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, d.buildctl, append([]string{"--addr", d.Addr}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("buildctl %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.Bytes(), 6000))
	}
	return stdout.Bytes(), nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
