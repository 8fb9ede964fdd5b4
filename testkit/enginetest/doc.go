// Package enginetest runs the real container engines for end-to-end tests:
// podman and buildah on a private storage (its own --root and --runroot in
// a temporary directory, the overlay driver where the kernel mounts one
// there and vfs otherwise, runc, cgroupfs) so tests never see
// or disturb anyone else's images, and the qemu-user binfmt handler for
// running foreign-architecture images. Every engine flag this machine
// needs lives here and nowhere else. Tests skip, saying why, when not root
// or when an engine is missing (.ci/run installs them with apt-get).
package enginetest
