// Package testenv starts and checks the real tools that end-to-end tests use:
// Debian's docker-registry (plain, TLS, htpasswd auth), skopeo, umoci,
// oci-image-tool. Tests skip with a clear reason when a tool is missing;
// .ci/run installs them all.
package testenv
