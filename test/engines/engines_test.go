package engines

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// fixture is what the subtests share: one store, one registry, the images
// built once and loaded once.
type fixture struct {
	st      *enginetest.Store
	bin     string
	reg     string
	work    string
	data    string // testdata, absolute
	ci      string // the default recipe's image, loaded from a tarball
	cross   string // crossRecipe's image, loaded from a tarball
	pushed  string // the default recipe's image in the registry
	goEnv   []string
	timeout time.Duration
}

// TestEngines builds images of a real release once, then runs them in
// podman, builds Dockerfiles FROM them with buildah and BuildKit, and runs
// the arm64 image under qemu-user; each check is one row of the table in
// docs/engines.md.
func TestEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds and runs images of a real Go release in real engines")
	}
	t.Parallel() // beside TestAudit, TestRuntimes and TestQuickStartImage: own podman store, registry and images
	testenv.NeedTool(t, "docker-registry")
	f := newFixture(t)
	f.reg = testenv.StartRegistry(t, testenv.RegistryOptions{}).Host
	resolveRelease(t, f.bin)

	start := time.Now()
	ciTar, crossTar := filepath.Join(f.work, "ci.tar"), filepath.Join(f.work, "cross.tar")
	buildImage(t, f.bin, "--platform", "linux/amd64", "--tarball", ciTar, "-t", "go-engines:ci")
	f.pushed = f.reg + "/go:ci"
	buildImage(t, f.bin, "--platform", "linux/amd64", "-t", f.pushed, "--push")
	if crossRecipe != "ci" {
		buildImage(t, f.bin, "--platform", "linux/amd64", "--recipe", crossRecipe, "--tarball", crossTar, "-t", "go-engines:"+crossRecipe)
	}
	t.Logf("images built in %v", time.Since(start).Round(time.Second))
	f.ci, f.cross = "localhost/go-engines:ci", "localhost/go-engines:"+crossRecipe

	t.Run("podman", f.testPodman)
	t.Run("zstd", f.testZstd)
	t.Run("dockerfile", f.testDockerfiles)
	t.Run("qemu-arm64", f.testQemu)
}

// newFixture makes a fixture with its own podman store and work
// directory: the gorootimg binary, testdata and the module environment.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: enginetest.NewStore(t), bin: gorootimg(t), work: t.TempDir(), timeout: 15 * time.Minute}
	var err error
	if f.data, err = filepath.Abs("testdata"); err != nil {
		t.Fatal(err)
	}
	f.goEnv = moduleEnv(t)
	return f
}

// moduleEnv is what a container needs to download modules here: the
// host's GOPROXY and checksum database settings. (The certificate comes
// from enginetest.HostCAMount.)
func moduleEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"env"}, sdk.GoEnvVars...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var env []string
	for i, v := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if v != "" && i < len(sdk.GoEnvVars) {
			env = append(env, "-e", sdk.GoEnvVars[i]+"="+v)
		}
	}
	return env
}

func (f *fixture) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), f.timeout)
}

// podman runs podman on the store and returns stdout.
func (f *fixture) podman(args ...string) (string, error) {
	ctx, cancel := f.ctx()
	defer cancel()
	r, err := enginetest.Exec(f.st.Podman(ctx, args...))
	return r.Stdout, err
}

// outDir makes a directory any container user may write to.
func (f *fixture) outDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(f.work, "out-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o1777); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) testPodman(t *testing.T) {
	check(t, "podman", "podman load of build --tarball", func() (string, error) {
		for _, tar := range []string{"ci.tar", "cross.tar"} {
			if _, err := os.Stat(filepath.Join(f.work, tar)); err != nil && tar == "cross.tar" {
				continue // crossRecipe is the default: no image of its own
			}
			out, err := f.podman("load", "-i", filepath.Join(f.work, tar))
			if err != nil {
				return "", err
			}
			if !strings.Contains(out, "Loaded image") {
				return "", fmt.Errorf("podman load %s: %q, want a loaded image", tar, out)
			}
		}
		cfg, err := f.podman("image", "inspect", "--format", "{{.Config.Env}} {{.Config.WorkingDir}}", f.ci)
		if err != nil {
			return "", err
		}
		if !strings.Contains(cfg, "GOCACHE=/go/.cache/go-build") || !strings.HasSuffix(strings.TrimSpace(cfg), " /go") {
			return "", fmt.Errorf("loaded image's Env and WorkingDir = %q, want GOCACHE and /go", cfg)
		}
		return "", nil
	})
	check(t, "podman", "podman pull from docker-registry", func() (string, error) {
		if _, err := f.podman("pull", "--tls-verify=false", f.pushed); err != nil {
			return "", err
		}
		ids, err := f.podman("image", "inspect", "--format", "{{.Id}}", f.ci, f.pushed)
		if err != nil {
			return "", err
		}
		if l := strings.Fields(ids); len(l) != 2 || l[0] != l[1] {
			return "", fmt.Errorf("image IDs of the loaded and the pulled image = %q, want one ID twice", ids)
		}
		out, err := f.podman(enginetest.RunArgs(f.pushed, "go", "version")...)
		if err != nil {
			return "", err
		}
		if want := "go version go" + release() + " linux/amd64"; !strings.Contains(out, want) {
			return "", fmt.Errorf("go version = %q, want %q", out, want)
		}
		return "", nil
	})
	for _, u := range []struct{ engine, user string }{{"podman", ""}, {"podman --user 1000:1000", "1000:1000"}} {
		f.driveRows(t, u.engine, u.user)
	}
}
