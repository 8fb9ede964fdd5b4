//go:build linux

package runtimetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// daemon is a started daemon process, stopped by its PID.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	exited chan error
	log    string
}

// startDaemon starts bin with args in a process group of its own, its
// output in logFile.
func startDaemon(name, logFile, bin string, args ...string) (*daemon, error) {
	logf, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("creating %s's log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, exited: make(chan error, 1), log: logFile}
	go func() { d.exited <- cmd.Wait(); logf.Close() }()
	return d, nil
}

// waitReady polls ready until it succeeds, the daemon exits or timeout
// passes.
func (d *daemon) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-d.exited:
			d.exited <- err
			return fmt.Errorf("%s exited at start: %v\n%s", d.name, err, d.Log(3000))
		default:
		}
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %v: %v\n%s", d.name, timeout, err, d.Log(3000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop sends SIGTERM to the daemon's PID and SIGKILL after 30 s.
func (d *daemon) stop() error {
	_ = syscall.Kill(d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		return fmt.Errorf("stopping %s: no exit within 30 s of SIGTERM, killed", d.name)
	}
}

// Log returns the last n bytes of the daemon's log.
func (d *daemon) Log(n int) string {
	b, _ := os.ReadFile(d.log)
	if len(b) > n {
		return "..." + string(b[len(b)-n:])
	}
	return string(b)
}

// PID is the daemon's process ID.
func (d *daemon) PID() int { return d.cmd.Process.Pid }

// UnmountBelow lazily unmounts whatever is still mounted below dir,
// deepest first, so dir can be removed.
func UnmountBelow(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}

// run runs cmd and returns its stdout; the error carries stderr.
func run(cmd *exec.Cmd) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, tail(stderr.String(), 3000))
	}
	return stdout.String(), nil
}
