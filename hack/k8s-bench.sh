#!/bin/sh
# k8s-bench.sh: what the GOCACHEPROG helper costs (issue 20, docs/kubernetes.md).
# Not a test: it prints a Markdown table on stdout and a check line per
# criterion on stderr.
#
#   hack/k8s-bench.sh WARM.tar
#   hack/k8s-bench.sh none          # the crane part only
#
# WARM.tar is a docker-load tarball of a --warm-cache std image of Go 1.24
# or later (gorootimg build --go local --warm-cache std --tarball WARM.tar).
#  1. The first `go build` of hack/warm-bench/nethttp (net/http, no
#     dependencies), mounted read-only, in a fresh podman container of the
#     image: writable root as root, then --read-only --tmpfs /tmp --user
#     1000680000:0. One run each; the ratio is the criterion (<= 1.3), and
#     the -x output of the read-only run must compile only package main.
#  2. On the host, with the go on PATH: a warm `go build` of
#     go-containerregistry's cmd/crane (vendored at the version go.mod
#     pins), with GOCACHEPROG (the helper, its warm tier read-only) and
#     without (plain GOCACHE), each after one build that fills its cache;
#     the median of RUNS (3) each. Criterion: under 5% more.
# Needs root, podman, runc, python3, and GOPROXY for crane's modules.
set -eu
tar=$1 # "none" skips the podman part
[ "$tar" = none ] || tar=$(realpath "$tar")
RUNS=${RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/k8s-bench.XXXXXX)
P="podman --storage-driver vfs --runtime /usr/sbin/runc --cgroup-manager cgroupfs --root $W/store --runroot $W/run --tmpdir $W/tmp"
cleanup() {
	$P rm --all --force >/dev/null 2>&1 || true
	chmod -R u+w "$W" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/tmp"
log() { echo "k8s-bench: $*" >&2; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

if [ "$tar" != none ]; then
img=$($P load -q -i "$tar" | sed -n 's/^Loaded image: //p' | head -1)
log "loaded $img"
cp -r "$here/hack/warm-bench/nethttp" "$W/src"
chmod -R a+rX "$W/src"
R="run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v $W/src:/src:ro -w /src"

s=$(now)
$P $R "$img" go build -o /tmp/out . >/dev/null
rw=$(since "$s")
s=$(now)
$P $R --read-only --tmpfs /tmp --user 1000680000:0 "$img" go build -x -o /tmp/out . 2>"$W/ro.x"
ro=$(since "$s")
compiled=$(sed -n 's|.*/compile .* -p \([^ ]*\) .*|\1|p' "$W/ro.x" | sort -u | tr '\n' ' ')
ratio=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$ro" "$rw")
log "read-only first build compiled: $compiled"
log "ratio read-only / writable = $ratio (want <= 1.3)"
fi

# 2. crane on the host.
ggcr=$(cd "$here" && go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
dir=$(cd "$here" && go mod download -json "github.com/google/go-containerregistry@$ggcr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$W/crane"
chmod -R u+w "$W/crane"
(cd "$W/crane" && GOFLAGS=-mod=mod go mod vendor)
helper=$W/gocacheprog
(cd "$here" && go run ./hack/k8s-bench/buildhelper "$helper")
crane() { # crane NAME ENV...: fill, then RUNS timed warm builds; prints the median
	name=$1
	shift
	(cd "$W/crane" && env "$@" go build -mod=vendor -o "$W/crane.bin" ./cmd/crane)
	ts=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		s=$(now)
		(cd "$W/crane" && env "$@" go build -mod=vendor -o "$W/crane.bin" ./cmd/crane)
		ts="$ts $(since "$s")"
		i=$((i + 1))
	done
	python3 -c "import sys,statistics; print('%.2f' % statistics.median(map(float, sys.argv[1:])))" $ts
}
plain=$(crane plain GOCACHE="$W/gocache-plain" GOCACHEPROG=)
# The helper's warm tier is a read-only copy of a filled cache; new
# entries go to its writable directory.
cp -a "$W/gocache-plain" "$W/gocache-warm"
chmod -R a-w "$W/gocache-warm"
prog=$(crane prog GOCACHE="$W/gocache-warm" GOROOTIMG_GOCACHE="$W/gocache-rw" GOCACHEPROG="$helper -warm $W/gocache-warm")
over=$(python3 -c "import sys; print('%.1f' % (100 * (float(sys.argv[1]) / float(sys.argv[2]) - 1)))" "$prog" "$plain")
log "helper overhead on a warm crane build: $over% (want < 5%)"

echo "| measurement | without the helper / writable (s) | with the helper / read-only (s) | ratio |"
echo "|---|---|---|---|"
[ "$tar" = none ] || echo "| first go build of nethttp in a container of the warm image ($(go version | cut -d' ' -f3) image) | $rw | $ro (uid 1000680000:0, --read-only --tmpfs /tmp) | ${ratio}x |"
echo "| warm go build of crane $ggcr on the host, median of $RUNS | $plain | $prog | +$over% |"
