//go:build linux

package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// DockerCLI is Debian docker.io's client; another docker on PATH (a
// podman shim, a newer client) is not the one the rows name.
const DockerCLI = "/usr/bin/docker"

// Dockerd is a running dockerd private to Dir: its data root, exec root,
// socket, log and client config all live there.
type Dockerd struct {
	// Dir holds everything the daemon writes.
	Dir string
	// Host is the daemon's address for docker -H: "unix://DIR/d.sock".
	Host string
	*daemon
}

// StartDockerd starts dockerd with the flags this machine needs (no
// iptables, no bridge, overlay2) on dir, and waits until it answers.
// dir must be short: unix socket paths are limited to 108 bytes.
func StartDockerd(ctx context.Context, dir string) (*Dockerd, error) {
	d := &Dockerd{Dir: dir, Host: "unix://" + filepath.Join(dir, "d.sock")}
	var err error
	d.daemon, err = startDaemon("dockerd", filepath.Join(dir, "dockerd.log"), "dockerd",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "-H", d.Host,
		"--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=overlay2")
	if err != nil {
		return nil, err
	}
	err = d.waitReady(90*time.Second, func() error {
		_, err := run(d.Docker(ctx, "version", "--format", "{{.Server.Version}}"))
		return err
	})
	if err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// Docker returns a docker command on the daemon, with a client config of
// its own (no ~/.docker).
func (d *Dockerd) Docker(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, DockerCLI, append([]string{"-H", d.Host}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(d.Dir, "config"))
	return cmd
}

// Stop removes every container, stops dockerd by its PID (it stops the
// containerd it started) and unmounts what is left below Dir. It does not
// remove Dir.
func (d *Dockerd) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	if out, err := run(d.Docker(ctx, "ps", "-aq")); err == nil && out != "" {
		if _, err := run(d.Docker(ctx, append([]string{"rm", "-f"}, fields(out)...)...)); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, d.stop())
	UnmountBelow(d.Dir)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stopping dockerd on %s: %w", d.Dir, err)
	}
	return nil
}
