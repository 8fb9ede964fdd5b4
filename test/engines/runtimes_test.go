//go:build linux

package engines

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/enginetest"
	"github.com/gorootimg/gorootimg/testkit/runtimetest"
)

// runtimes is what the Docker and containerd rows share: the default image
// and the warm one (--warm-cache std), as docker-load tarballs.
type runtimes struct {
	work, data     string
	ciTar, warmTar string
	ciRef, warmRef string // as the tarballs name them
	readOnlyWaits  string // why the read-only rows cannot run yet, or ""
	timeout        time.Duration
}

// runSpec is one container of a row: who runs it, on what root, which
// command in which directory of testdata (mounted read-only at /t).
type runSpec struct {
	user, group string // "" keeps the image's
	readOnly    bool   // read-only root, /tmp writable (tmpfs, a host dir)
	dir         string
	args        []string
}

// runFunc runs spec in a container of image and returns its output and
// exit code (err is for the engine failing, not the command).
type runFunc func(ctx context.Context, image string, s runSpec) (out string, exit int, err error)

// runtimeCase is who runs the rows' containers and on what root.
type runtimeCase struct {
	name        string
	user, group string
	readOnly    bool
}

var runtimeCases = []runtimeCase{
	{name: "as the image's user"},
	{name: "as uid 1000:1000, HOME=/", user: "1000", group: "1000"},
	{name: "as uid 1000680000:0, HOME=/", user: "1000680000", group: "0"},
	{name: "read-only root, writable /tmp, uid 1000680000:0", user: "1000680000", group: "0", readOnly: true},
}

// TestRuntimes runs the warm image in the runtimes Kubernetes and Docker
// users run: dockerd 20.10 (docker load, docker run) and containerd 1.6's
// CRI driven with crictl (ctr images import, pod sandboxes on the host's
// network with security contexts). For each, as the image's user, as uid
// 1000, as uid 1000680000 with gid 0 and with a read-only root: go build
// of a net/http program compiles no standard-library package, and go test
// passes. Each check is a row of docs/engines.md.
func TestRuntimes(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: runs images of a real Go release in dockerd and containerd")
	}
	t.Parallel() // beside TestEngines and TestAudit: own daemons, own images
	bin := gorootimg(t)
	resolveRelease(t, bin)
	rt := &runtimes{work: t.TempDir(), timeout: 10 * time.Minute}
	var err error
	if rt.data, err = filepath.Abs("testdata"); err != nil {
		t.Fatal(err)
	}
	rt.ciTar, rt.warmTar = filepath.Join(rt.work, "ci.tar"), filepath.Join(rt.work, "warm.tar")
	rt.ciRef, rt.warmRef = "go-engines:ci", "go-engines:warm"
	start := time.Now()
	buildImage(t, bin, "--platform", "linux/amd64", "--tarball", rt.ciTar, "-t", rt.ciRef)
	buildWarm(t, bin, rt.warmTar, rt.warmRef)
	t.Logf("images built in %v", time.Since(start).Round(time.Second))
	if rt.readOnlyWaits, err = runtimetest.ReadOnlyWaits(rt.warmTar); err != nil {
		t.Fatal(err)
	}
	t.Run("docker", rt.testDocker)
	t.Run("containerd", rt.testContainerd)
}

// buildWarm builds the default image with --warm-cache std, dated as
// assemble's warm end-to-end test dates its image (40 days ago, on a
// whole day), so the two share the warm layer in the layer cache.
func buildWarm(t *testing.T, bin, tarFile, tag string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	sde := fmt.Sprint(time.Now().Add(-40 * 24 * time.Hour).Truncate(24 * time.Hour).Unix())
	cmd := exec.CommandContext(ctx, bin, "build", "-q", "--go", release(), "--platform", "linux/amd64",
		"--warm-cache", "std", "--tarball", tarFile, "-t", tag)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+sde)
	r, err := enginetest.Exec(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gorootimg build --warm-cache std: %s in %v", strings.TrimSpace(r.Stdout), r.Took.Round(time.Second))
}

// runRows runs every case's rows in one engine.
func (rt *runtimes) runRows(t *testing.T, engine string, run runFunc) {
	for _, c := range runtimeCases {
		if c.readOnly && rt.readOnlyWaits != "" {
			t.Logf("%s: %s: %s", engine, c.name, rt.readOnlyWaits)
			record(t, Row{Engine: engine, Scenario: c.name + ": go build (net/http), no std compile; go test", Result: "skip", Note: rt.readOnlyWaits})
			continue
		}
		spec := runSpec{user: c.user, group: c.group, readOnly: c.readOnly}
		check(t, engine, c.name+": go build of a net/http program compiles no std package", func() (string, error) {
			s := spec
			s.dir, s.args = "/t/web", []string{"go", "build", "-x", "-o", "/tmp/web", "."}
			out, err := rt.exec(run, s)
			if err != nil {
				return "", err
			}
			return "", runtimetest.CheckNoStdCompile(out)
		})
		check(t, engine, c.name+": go test", func() (string, error) {
			s := spec
			s.dir, s.args = "/t/mod", []string{"go", "test", "./hello"}
			out, err := rt.exec(run, s)
			if err == nil && !strings.Contains(out, "ok") {
				err = fmt.Errorf("go test printed no ok:\n%s", enginetest.Tail(out, 2000))
			}
			return "", err
		})
	}
}

// exec runs s in the warm image and fails on a non-zero exit.
func (rt *runtimes) exec(run runFunc, s runSpec) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rt.timeout)
	defer cancel()
	out, exit, err := run(ctx, rt.warmRef, s)
	if err == nil && exit != 0 {
		err = fmt.Errorf("%s: exit %d:\n%s", strings.Join(s.args, " "), exit, enginetest.Tail(out, 3000))
	}
	return out, err
}

func (rt *runtimes) testDocker(t *testing.T) {
	d := runtimetest.NeedDocker(t)
	docker := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), rt.timeout)
		defer cancel()
		r, err := enginetest.Exec(d.Docker(ctx, args...))
		return r.Stdout, err
	}
	loaded := false
	check(t, "docker", "docker load of build --tarball (default and warm image)", func() (string, error) {
		for _, tar := range []string{rt.ciTar, rt.warmTar} {
			out, err := docker("load", "-i", tar)
			if err != nil {
				return "", err
			}
			if !strings.Contains(out, "Loaded image") {
				return "", fmt.Errorf("docker load %s: %q, want a loaded image", tar, out)
			}
		}
		loaded = true
		return "", nil
	})
	if !loaded {
		return
	}
	rt.runRows(t, "docker", func(ctx context.Context, image string, s runSpec) (string, int, error) {
		args := []string{"run", "--rm", "--network", "none", "-v", rt.data + ":/t:ro", "-w", s.dir}
		if s.user != "" {
			args = append(args, "--user", s.user+":"+s.group, "-e", "HOME=/")
		}
		if s.readOnly {
			args = append(args, "--read-only", "--tmpfs", "/tmp:rw,exec,mode=1777")
		}
		return exitOf(enginetest.Exec(d.Docker(ctx, append(append(args, image), s.args...)...)))
	})
}

// exitOf splits a container's exit code from an engine's failure: docker
// run exits with the command's code (125 and up are its own).
func exitOf(r enginetest.Result, err error) (string, int, error) {
	out := r.Stdout + r.Stderr
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() < 125 {
		return out, ee.ExitCode(), nil
	}
	return out, 0, err
}

func (rt *runtimes) testContainerd(t *testing.T) {
	c := runtimetest.NeedContainerd(t)
	loaded := false
	check(t, "containerd (crictl)", "ctr images import of build --tarball (default and warm image)", func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), rt.timeout)
		defer cancel()
		for _, tar := range []string{rt.ciTar, rt.warmTar} {
			if _, err := c.ImportImage(ctx, tar); err != nil {
				return "", err
			}
		}
		out, err := enginetest.Exec(c.Crictl(ctx, "images"))
		if err == nil && !strings.Contains(out.Stdout, "go-engines") {
			err = fmt.Errorf("crictl images lists no go-engines image:\n%s", out.Stdout)
		}
		loaded = err == nil
		return "", err
	})
	if !loaded {
		return
	}
	rt.runRows(t, "containerd (crictl)", func(ctx context.Context, image string, s runSpec) (string, int, error) {
		ctr := runtimetest.Container{Image: "docker.io/library/" + image, Command: s.args, WorkingDir: s.dir,
			Mounts: []runtimetest.Mount{{Host: rt.data, Container: "/t", ReadOnly: true}}, ReadOnlyRoot: s.readOnly}
		if s.user != "" {
			u, _ := strconv.ParseInt(s.user, 10, 64)
			g, _ := strconv.ParseInt(s.group, 10, 64)
			ctr.User, ctr.Group, ctr.Env = &u, &g, []string{"HOME=/"}
		}
		if s.readOnly {
			tmp, err := os.MkdirTemp(rt.work, "tmp-")
			if err != nil {
				return "", 0, err
			}
			os.Chmod(tmp, 0o1777)
			ctr.Mounts = append(ctr.Mounts, runtimetest.Mount{Host: tmp, Container: "/tmp"})
		}
		r, err := c.Run(ctx, ctr)
		return r.Logs, r.Exit, err
	})
}
