package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Runtime is the OCI runtime the engines use: crun fails on this kind of
// machine, runc works.
const Runtime = "/usr/sbin/runc"

// RunLimits are the rlimits every container gets. The engines' defaults
// ask for more than the hard limits here, and runc then refuses to start
// the container.
var RunLimits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// Store is a private containers/storage that podman and buildah share:
// what buildah builds, podman runs.
type Store struct {
	// Dir holds the storage (root/) and the run state (run/).
	Dir string
	// Driver is the storage driver: overlay where the kernel mounts an
	// overlay in Dir (what CI runners use; a container starts without
	// copying its image), else vfs (a full copy per layer and per
	// container).
	Driver string
}

// NewStore makes a private store in a new temporary directory, removed
// when the test ends. It skips the test unless it runs on Linux as root
// with podman, buildah and runc installed.
func NewStore(t testing.TB) *Store {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("skipping: podman and buildah run here on Linux only")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: podman and buildah need root here (rootless needs subuids and fuse-overlayfs); CI runs as root")
	}
	for _, tool := range []string{"podman", "buildah"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s is not installed (.ci/run installs it with apt-get)", tool)
		}
	}
	if _, err := os.Stat(Runtime); err != nil {
		t.Skipf("skipping: %s is not installed (.ci/run installs runc with apt-get)", Runtime)
	}
	dir, err := os.MkdirTemp("", "enginetest-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{Dir: dir, Driver: "vfs"}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := canOverlay(filepath.Join(dir, "tmp")); err != nil {
		t.Logf("podman and buildah use the vfs storage driver: %v", err)
	} else {
		s.Driver = "overlay"
	}
	t.Cleanup(func() {
		// Containers are run with --rm; whatever is left is stopped state.
		exec.Command("podman", append(s.podmanGlobal(), "rm", "--all", "--force")...).Run()
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing the engines' store: %v", err)
		}
	})
	return s
}

func (s *Store) storageFlags() []string {
	return []string{"--root", filepath.Join(s.Dir, "root"), "--runroot", filepath.Join(s.Dir, "run"), "--storage-driver", s.Driver}
}

func (s *Store) podmanGlobal() []string {
	return append(s.storageFlags(), "--runtime", Runtime, "--cgroup-manager", "cgroupfs",
		"--tmpdir", filepath.Join(s.Dir, "tmp"))
}

// Podman returns a podman command on the store.
func (s *Store) Podman(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "podman", append(s.podmanGlobal(), args...)...)
	cmd.Env = s.env()
	return cmd
}

// Buildah returns a buildah command on the store.
func (s *Store) Buildah(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "buildah", append(s.storageFlags(), args...)...)
	cmd.Env = s.env()
	return cmd
}

// env gives the engines the store's own temporary directory (podman load
// unpacks there).
func (s *Store) env() []string {
	return append(os.Environ(), "TMPDIR="+filepath.Join(s.Dir, "tmp"))
}

// BudArgs are buildah bud's flags on this machine: chroot isolation (no
// runtime, no network namespace setup) and the rlimits of RunLimits.
func BudArgs() []string {
	return append([]string{"bud", "--isolation", "chroot", "--layers=false"}, RunLimits...)
}

// RunArgs returns "run --rm" with RunLimits and the given options, ready
// for the image and command to be appended.
func RunArgs(opts ...string) []string {
	return append(append([]string{"run", "--rm"}, RunLimits...), opts...)
}

// Result is what a command printed and how long it took.
type Result struct {
	Stdout, Stderr string
	Took           time.Duration
}

// Exec runs cmd and returns its output; the error carries stderr's tail.
func Exec(cmd *exec.Cmd) (Result, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	if err != nil {
		return r, fmt.Errorf("%s: %v\n%s%s", strings.Join(cmd.Args, " "), err, Tail(r.Stdout, 2000), Tail(r.Stderr, 4000))
	}
	return r, nil
}

// Tail returns the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// HostCABundle is the host's CA bundle: the module proxy here presents a
// certificate of a CA in this machine's own trust store, which a test
// container needs to download modules (the image's own bundle serves
// users, whose proxy has a public certificate).
const HostCABundle = "/etc/ssl/certs/ca-certificates.crt"

// HostCAMount returns the podman flags that mount the host's CA bundle
// into a container and point Go's crypto/x509 at it (SSL_CERT_FILE), or
// nil when the host has none.
func HostCAMount() []string {
	if _, err := os.Stat(HostCABundle); err != nil {
		return nil
	}
	const in = "/etc/ssl/host-ca-certificates.crt"
	return []string{"-v", HostCABundle + ":" + in + ":ro", "-e", "SSL_CERT_FILE=" + in}
}
