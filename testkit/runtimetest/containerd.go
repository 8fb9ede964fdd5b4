//go:build linux

package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Runc is the OCI runtime the CRI plugin runs (crun fails here).
const Runc = "/usr/sbin/runc"

// K8sNamespace is the containerd namespace the CRI plugin uses; images
// imported there (ctr -n k8s.io images import) are the CRI's images.
const K8sNamespace = "k8s.io"

// ContainerdOptions configures StartContainerd.
type ContainerdOptions struct {
	// SandboxImage is the pause image's reference (already imported, see
	// ImportPause): the CRI plugin would pull it otherwise.
	SandboxImage string
	// Crictl is the crictl binary, used by Crictl and by Stop to remove
	// the pods left.
	Crictl string
}

// Containerd is a running containerd private to Dir, with its CRI plugin.
type Containerd struct {
	// Dir holds the root, state, socket, config and log.
	Dir string
	// Address is the socket path (the CRI endpoint is "unix://"+Address).
	Address string
	opts    ContainerdOptions
	*daemon
}

// config is containerd 1.6's configuration (version 2): its own root,
// state and sockets; the CRI plugin with runc and cgroupfs, no CNI needed
// (pods use the host's network), and restrict_oom_score_adj, without
// which pod sandboxes fail here (no CAP_SYS_RESOURCE).
const config = `version = 2
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = %[6]q
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %[7]q
        SystemdCgroup = false
`

// StartContainerd writes a configuration on dir, starts containerd with
// it and waits until it answers. dir must be short (socket paths).
func StartContainerd(ctx context.Context, dir string, o ContainerdOptions) (*Containerd, error) {
	c := &Containerd{Dir: dir, Address: filepath.Join(dir, "c.sock"), opts: o}
	cfg := fmt.Sprintf(config, filepath.Join(dir, "root"), filepath.Join(dir, "state"), c.Address,
		c.Address+".ttrpc", o.SandboxImage, filepath.Join(dir, "cni"), Runc)
	cfgFile := filepath.Join(dir, "containerd.toml")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("writing containerd's config: %w", err)
	}
	crictlCfg := fmt.Sprintf("runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 120\n", c.Address, c.Address)
	if err := os.WriteFile(filepath.Join(dir, "crictl.yaml"), []byte(crictlCfg), 0o644); err != nil {
		return nil, fmt.Errorf("writing crictl's config: %w", err)
	}
	var err error
	c.daemon, err = startDaemon("containerd", filepath.Join(dir, "containerd.log"), "containerd", "--config", cfgFile)
	if err != nil {
		return nil, err
	}
	err = c.waitReady(60*time.Second, func() error {
		_, err := run(c.Ctr(ctx, "version"))
		return err
	})
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Ctr returns a ctr command on the daemon, in the CRI's namespace.
func (c *Containerd) Ctr(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ctr", append([]string{"--address", c.Address, "-n", K8sNamespace}, args...)...)
}

// Crictl returns a crictl command on the daemon's CRI endpoint.
func (c *Containerd) Crictl(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, c.opts.Crictl, append([]string{"--config", filepath.Join(c.Dir, "crictl.yaml")}, args...)...)
}

// Stop removes the pod sandboxes left (their shims exit with them), stops
// containerd by its PID and unmounts what is left below Dir. It does not
// remove Dir.
func (c *Containerd) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	if c.opts.Crictl != "" {
		if _, err := run(c.Crictl(ctx, "rmp", "-a", "-f")); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.stop())
	UnmountBelow(c.Dir)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stopping containerd on %s: %w", c.Dir, err)
	}
	return nil
}

// ImportImage imports a docker-load tarball into the CRI's namespace
// (ctr images import, unpacked for the overlayfs snapshotter) and returns
// ctr's output.
func (c *Containerd) ImportImage(ctx context.Context, tarFile string) (string, error) {
	return run(c.Ctr(ctx, "images", "import", "--snapshotter", "overlayfs", tarFile))
}

func fields(s string) []string { return strings.Fields(s) }
