#!/bin/sh
# kubelet.sh runs a real kubelet (v1.34.4, standalone: static pods from a
# manifest directory, no API server) over containerd 1.6's CRI, with pods
# shaped like hack/examples' under the restricted Pod Security profile
# (runAsNonRoot, RuntimeDefault seccomp, no capabilities, no privilege
# escalation) plus readOnlyRootFilesystem and an emptyDir on /tmp, all on
# the host's network, and writes the kubelet table of docs/engines.md.
#
#	hack/kubelet.sh             # go1.26.11
#	hack/kubelet.sh 1.26.11
#
# The pods (hack/kubelet/pods_test.go) build a net/http program with go build
# -x (no standard-library package may be compiled: the warm image) and run
# go test. One pod asks runAsNonRoot with no runAsUser: the kubelet must
# refuse it for the image that runs as root, with its own message, and
# admit it for the image built with --user (the non-root image).
#
# The kubelet is built once (about 20 minutes of CPU on 2 cores) into the
# cache (GOROOTIMG_CACHE or the user cache dir, k8s/); KUBELET and CRICTL
# name binaries to use instead. Needs root, containerd, ctr and runc
# (apt-get install containerd runc). Daemons are started by hand on
# private directories and stopped by PID.
set -eu
cd "$(dirname "$0")/.."
release="${1:-1.26.11}"
cache="${GOROOTIMG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gorootimg}/k8s"
k8s=v1.34.4
staging=v0.34.4
mkdir -p "$cache"

if [ -z "${KUBELET:-}" ]; then
	KUBELET="$cache/kubelet-$k8s"
	if [ ! -x "$KUBELET" ]; then
		echo "kubelet: building k8s.io/kubernetes $k8s/cmd/kubelet (once; about 20 minutes)" >&2
		mod="$cache/kubelet-src"
		rm -rf "$mod" && mkdir -p "$mod"
		(
			cd "$mod"
			go mod init kubeletbuild >/dev/null 2>&1
			gomod=$(go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
			# Every staging module kubernetes replaces with ./staging/...
			# comes from its own release instead.
			for m in $(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*|\1|p' "$gomod"); do
				go mod edit -replace "$m=$m@$staging"
			done
			go get "k8s.io/kubernetes/cmd/kubelet@$k8s"
			nice -n 10 go build -o "$KUBELET.tmp" k8s.io/kubernetes/cmd/kubelet
			mv "$KUBELET.tmp" "$KUBELET"
		)
	fi
fi
if [ -z "${CRICTL:-}" ]; then
	CRICTL="$cache/crictl"
	[ -x "$CRICTL" ] || GOBIN="$cache" CGO_ENABLED=0 go install sigs.k8s.io/cri-tools/cmd/crictl@v1.34.0
fi

work=$(mktemp -d /tmp/kl.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
go build -o "$work/gorootimg" ./cmd/gorootimg
# Dated as assemble's warm end-to-end test dates its image (40 days ago, a
# whole day), so the warm layer comes from the layer cache when it ran.
now=$(date +%s)
sde=$(( (now - 40 * 86400) / 86400 * 86400 ))
build() {
	SOURCE_DATE_EPOCH=$sde "$work/gorootimg" build -q --go "$release" --platform linux/amd64 \
		--warm-cache std "$@" >&2
}
build --tarball "$work/root.tar" -t go-kubelet:root
nonroot="" nonroot_waits=""
if "$work/gorootimg" build --help 2>&1 | grep -q -- '--user'; then
	build --user 65532:0 --tarball "$work/nonroot.tar" -t go-kubelet:nonroot
	nonroot="$work/nonroot.tar"
else
	nonroot_waits="waits for the image side (issue 20 item 2): gorootimg build has no --user yet, so there is no non-root image"
fi

# TestKubelet (hack/kubelet) runs the pods and writes the table.
go test -count=1 -timeout 40m -v -run '^TestKubelet$' ./hack/kubelet -args \
	-kubelet "$KUBELET" -crictl "$CRICTL" -dir "$work" \
	-release "$release" -root-tar "$work/root.tar" -root-ref docker.io/library/go-kubelet:root \
	-nonroot-tar "$nonroot" -nonroot-ref docker.io/library/go-kubelet:nonroot -nonroot-waits "$nonroot_waits"
