//go:build linux

package runtimetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// Mount is a host directory in a container.
type Mount struct {
	Host, Container string
	ReadOnly        bool
}

// Container is one container run through the CRI in a pod sandbox of its
// own on the host's network (as hostNetwork pods).
type Container struct {
	// Image is the image's reference as containerd names it
	// ("docker.io/library/go-engines:ci").
	Image      string
	Command    []string
	WorkingDir string
	// Env is KEY=VALUE pairs.
	Env    []string
	Mounts []Mount
	// User and Group are run_as_user and run_as_group; nil keeps the
	// image's.
	User, Group *int64
	// ReadOnlyRoot is readonly_rootfs.
	ReadOnlyRoot bool
}

// Result is how a container ended.
type Result struct {
	Exit int
	// Logs is what the container wrote (stdout and stderr).
	Logs string
	Took time.Duration
}

var podSeq atomic.Int64

// Run runs c in a new pod sandbox (crictl runp, create, start), waits for
// it to exit (within ctx), and removes the sandbox.
func (d *Containerd) Run(ctx context.Context, c Container) (Result, error) {
	n := podSeq.Add(1)
	dir, err := os.MkdirTemp(d.Dir, fmt.Sprintf("pod%d-", n))
	if err != nil {
		return Result{}, err
	}
	name := fmt.Sprintf("p%d", n)
	pod := map[string]any{
		"metadata":      map[string]any{"name": name, "namespace": "default", "uid": name + "-uid"},
		"log_directory": dir,
		"linux":         map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"network": 2}}},
	}
	podFile, ctrFile := filepath.Join(dir, "pod.json"), filepath.Join(dir, "ctr.json")
	if err := writeJSON(podFile, pod); err != nil {
		return Result{}, err
	}
	if err := writeJSON(ctrFile, containerConfig(c)); err != nil {
		return Result{}, err
	}
	start := time.Now()
	out, err := run(d.Crictl(ctx, "runp", podFile))
	if err != nil {
		return Result{}, err
	}
	podID := strings.TrimSpace(out)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		run(d.Crictl(cctx, "stopp", podID))
		run(d.Crictl(cctx, "rmp", "-f", podID))
	}()
	if out, err = run(d.Crictl(ctx, "create", podID, ctrFile, podFile)); err != nil {
		return Result{}, err
	}
	id := strings.TrimSpace(out)
	if _, err := run(d.Crictl(ctx, "start", id)); err != nil {
		return Result{}, err
	}
	exit, err := d.wait(ctx, id)
	r := Result{Exit: exit, Took: time.Since(start)}
	if err != nil {
		return r, err
	}
	cmd := d.Crictl(ctx, "logs", id)
	b, err := cmd.CombinedOutput()
	r.Logs = string(b)
	if err != nil {
		return r, fmt.Errorf("crictl logs %s: %v\n%s", id, err, tail(r.Logs, 2000))
	}
	return r, nil
}

// wait polls crictl inspect until the container has exited.
func (d *Containerd) wait(ctx context.Context, id string) (int, error) {
	for {
		out, err := run(d.Crictl(ctx, "inspect", id))
		if err != nil {
			return 0, err
		}
		var st struct {
			Status struct {
				State    string `json:"state"`
				ExitCode int    `json:"exitCode"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			return 0, fmt.Errorf("reading crictl inspect %s: %w", id, err)
		}
		if st.Status.State == "CONTAINER_EXITED" {
			return st.Status.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for container %s: %w", id, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// containerConfig is c as crictl's container config (the CRI's
// ContainerConfig in JSON).
func containerConfig(c Container) map[string]any {
	sc := map[string]any{"namespace_options": map[string]any{"network": 2}, "readonly_rootfs": c.ReadOnlyRoot}
	if c.User != nil {
		sc["run_as_user"] = map[string]any{"value": *c.User}
	}
	if c.Group != nil {
		sc["run_as_group"] = map[string]any{"value": *c.Group}
	}
	var envs, mounts []map[string]any
	for _, e := range c.Env {
		k, v, _ := strings.Cut(e, "=")
		envs = append(envs, map[string]any{"key": k, "value": v})
	}
	for _, m := range c.Mounts {
		mounts = append(mounts, map[string]any{"host_path": m.Host, "container_path": m.Container, "readonly": m.ReadOnly})
	}
	return map[string]any{
		"metadata": map[string]any{"name": "c"}, "image": map[string]any{"image": c.Image},
		"command": c.Command, "working_dir": c.WorkingDir, "envs": envs, "mounts": mounts,
		"log_path": "c.log", "linux": map[string]any{"security_context": sc},
	}
}

func writeJSON(file string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
