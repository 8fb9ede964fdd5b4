//go:build linux

package runtimetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// KubeletOptions configures StartKubelet.
type KubeletOptions struct {
	// Bin is the kubelet binary.
	Bin string
	// Dir holds the kubelet's root dir, config, manifests (ManifestDir),
	// pod logs and log.
	Dir string
	// Endpoint is the CRI endpoint ("unix://"+Containerd.Address).
	Endpoint string
	// ReadOnlyPort serves /pods over plain HTTP on 127.0.0.1 (no API
	// server here to ask).
	ReadOnlyPort int
}

// kubeletConfig is a standalone kubelet's configuration: static pods
// from a directory, no API server, cgroupfs without per-QoS cgroups (no
// systemd, cgroup v1 here), and no eviction or image garbage collection
// (a test machine's disk is fuller than a node's).
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: %[1]q
podLogsDir: %[2]q
containerRuntimeEndpoint: %[3]q
address: 127.0.0.1
port: %[4]d
readOnlyPort: %[5]d
healthzPort: %[6]d
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failCgroupV1: false
failSwapOn: false
makeIPTablesUtilChains: false
localStorageCapacityIsolation: false
evictionHard:
  memory.available: "0%%"
  nodefs.available: "0%%"
  imagefs.available: "0%%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
fileCheckFrequency: 2s
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
`

// Kubelet is a running standalone kubelet.
type Kubelet struct {
	opts KubeletOptions
	*daemon
}

// ManifestDir is where the kubelet reads static pods from.
func (o KubeletOptions) ManifestDir() string { return filepath.Join(o.Dir, "manifests") }

// StartKubelet starts a standalone kubelet on o.Dir and waits until its
// read-only port answers.
func StartKubelet(ctx context.Context, o KubeletOptions) (*Kubelet, error) {
	for _, d := range []string{o.ManifestDir(), filepath.Join(o.Dir, "logs"), filepath.Join(o.Dir, "root")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	cfg := fmt.Sprintf(kubeletConfig, o.ManifestDir(), filepath.Join(o.Dir, "logs"), o.Endpoint,
		o.ReadOnlyPort+1, o.ReadOnlyPort, o.ReadOnlyPort+2)
	cfgFile := filepath.Join(o.Dir, "kubelet.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("writing the kubelet's config: %w", err)
	}
	d, err := startDaemon("kubelet", filepath.Join(o.Dir, "kubelet.log"), o.Bin,
		"--config", cfgFile, "--root-dir", filepath.Join(o.Dir, "root"), "--cert-dir", filepath.Join(o.Dir, "pki"),
		"--hostname-override", "gorootimg-kubelet", "--v", "2")
	if err != nil {
		return nil, err
	}
	k := &Kubelet{opts: o, daemon: d}
	err = k.waitReady(2*time.Minute, func() error {
		_, err := k.Pods(ctx)
		return err
	})
	if err != nil {
		k.stop()
		return nil, err
	}
	return k, nil
}

// Stop stops the kubelet by its PID and unmounts what is left below its
// directory (the pods' volumes). The pods' containers stay in the
// runtime: Containerd.Stop removes them.
func (k *Kubelet) Stop() error {
	err := k.stop()
	UnmountBelow(k.opts.Dir)
	return err
}

// PodStatus is the part of a pod's status the kubelet's /pods shows for a
// static pod that the scripts read.
type PodStatus struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Status struct {
		Phase             string            `json:"phase"`
		ContainerStatuses []ContainerStatus `json:"containerStatuses"`
	} `json:"status"`
}

// ContainerStatus is one container's state in a PodStatus.
type ContainerStatus struct {
	Name  string `json:"name"`
	State struct {
		Waiting *struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"waiting"`
		Running    *struct{} `json:"running"`
		Terminated *struct {
			ExitCode   int       `json:"exitCode"`
			Reason     string    `json:"reason"`
			StartedAt  time.Time `json:"startedAt"`
			FinishedAt time.Time `json:"finishedAt"`
		} `json:"terminated"`
	} `json:"state"`
}

// Pods returns the pods the kubelet runs, with their status (the
// read-only port's /pods).
func (k *Kubelet) Pods(ctx context.Context) ([]PodStatus, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d/pods", k.opts.ReadOnlyPort), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the kubelet's /pods: %s %v", resp.Status, err)
	}
	var list struct {
		Items []PodStatus `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("reading the kubelet's /pods: %w", err)
	}
	return list.Items, nil
}

// ManifestDir is where the kubelet reads static pods from.
func (k *Kubelet) ManifestDir() string { return k.opts.ManifestDir() }

// LogDir is the kubelet's podLogsDir: NAMESPACE_POD_UID/CONTAINER/N.log.
func (k *Kubelet) LogDir() string { return filepath.Join(k.opts.Dir, "logs") }
