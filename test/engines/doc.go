// Package engines proves gorootimg images where users run them: podman
// (an image loaded from build --tarball and one pulled from a registry),
// buildah and BuildKit building Dockerfiles FROM them, and the arm64 image
// under qemu-user. The tests build real releases (GOROOTIMG_ENGINES_GO,
// default the release build's end-to-end test uses) and record one row per
// engine × scenario × release; hack/engines.sh runs them for each release
// and writes the table of docs/engines.md.
package engines
