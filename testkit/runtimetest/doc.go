// Package runtimetest starts the container runtimes Kubernetes and Docker
// users run, privately, for end-to-end tests and for the scripts in hack/:
// dockerd (Docker 20.10 from Debian's docker.io) and containerd 1.6 with
// its CRI plugin, driven with crictl, each with its own root, state and
// unix socket in one directory, started by hand (no systemd) and stopped by
// PID. The pause image the CRI plugin needs is built locally (no registry).
// The Start functions take plain values and return errors, so hack/ can use
// them; the NeedDocker and NeedContainerd helpers wrap them for tests and
// skip, saying why, when not root or a binary is missing (.ci/run installs
// docker.io and containerd with apt-get; crictl is built into the fixture
// store).
package runtimetest
