#!/bin/sh
# k8s-bench.sh: what the go front costs (issue 20, docs/kubernetes.md).
# Not a test: it prints a Markdown table on stdout and a check line per
# criterion on stderr.
#
#   hack/k8s-bench.sh WARM.tar
#   hack/k8s-bench.sh none          # the crane part only
#
# WARM.tar is a docker-load tarball of a --warm-cache std image
# (gorootimg build --go local --warm-cache std --tarball WARM.tar).
#  1. The first `go build` of hack/warm-bench/nethttp (net/http, no
#     dependencies), mounted read-only, in a fresh podman container of the
#     image: writable root as the image's user, then --read-only --tmpfs
#     /tmp --user 1000680000:0, PAIRS (3) alternating pairs; the median
#     ratio is the criterion (<= 1.3), and the -x output of the read-only
#     run must compile only package main.
#  2. On the host, with the go on PATH: a warm `go build` of
#     go-containerregistry's cmd/crane (vendored at the version go.mod
#     pins), plain (GOCACHE writable) and through the front (GOCACHE a
#     read-only bind mount of a copy of the plain cache, so the front
#     runs the go command on its link farm in $TMPDIR), each after one
#     build that fills its cache (and makes the farm); the median of RUNS
#     (21) each, alternating. Criterion: under 5% more.
# Needs root (a mount namespace: unshare -m), podman, runc, python3, and
# GOPROXY for crane's modules.
set -eu
if [ -z "${K8S_BENCH_NS:-}" ]; then
	exec unshare -m env K8S_BENCH_NS=1 sh "$0" "$@"
fi
tar=$1 # "none" skips the podman part
[ "$tar" = none ] || tar=$(realpath "$tar")
RUNS=${RUNS:-21}
here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/k8s-bench.XXXXXX)
P="podman --storage-driver vfs --runtime /usr/sbin/runc --cgroup-manager cgroupfs --root $W/store --runroot $W/run --tmpdir $W/tmp"
cleanup() {
	$P rm --all --force >/dev/null 2>&1 || true
	umount "$W/gocache-warm" 2>/dev/null || true
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

# PAIRS alternating pairs (3): one run is at the mercy of the load.
rws="" ros="" ratios=""
i=0
while [ $i -lt "${PAIRS:-3}" ]; do
	s=$(now)
	$P $R "$img" go build -o /tmp/out . >/dev/null
	rw=$(since "$s")
	s=$(now)
	$P $R --read-only --tmpfs /tmp --user 1000680000:0 "$img" go build -x -o /tmp/out . 2>"$W/ro.x"
	ro=$(since "$s")
	rws="$rws $rw" ros="$ros $ro"
	ratios="$ratios $(python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$ro" "$rw")"
	i=$((i + 1))
done
compiled=$(sed -n 's|.*/compile .* -p \([^ ]*\) .*|\1|p' "$W/ro.x" | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086
ratio=$(python3 -c "import sys,statistics; print('%.2f' % statistics.median(map(float, sys.argv[1:])))" $ratios)
log "writable:$rws; read-only:$ros; ratios:$ratios"
log "read-only first build compiled: $compiled"
log "median ratio read-only / writable = $ratio (want <= 1.3)"
fi

# 2. crane on the host.
ggcr=$(cd "$here" && go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
dir=$(cd "$here" && go mod download -json "github.com/google/go-containerregistry@$ggcr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$W/crane"
chmod -R u+w "$W/crane"
(cd "$W/crane" && GOFLAGS=-mod=mod go mod vendor)
mkdir -p "$W/front/bin" "$W/tmp-front"
(cd "$here" && go run ./hack/k8s-bench/buildfront "$W/front/bin/go")
goroot=$(go env GOROOT)
cb() { # cb ENV...: one go build of crane; prints its wall and CPU seconds
	# (user + system of the go command and all it ran, the front included:
	# the CPU figure is what a loaded machine disturbs least)
	(cd "$W/crane" && env "$@" python3 -c 'import resource,subprocess,sys,time
t = time.time(); subprocess.run(sys.argv[1:], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f,%.3f" % (time.time() - t, r.ru_utime + r.ru_stime))' go build -mod=vendor -o "$W/crane.bin" ./cmd/crane)
}
median() { python3 -c "import sys,statistics; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" "$@"; }
# Fill the plain cache; the front's warm cache is a read-only copy of it.
cb GOCACHE="$W/gocache-plain" >/dev/null
cp -a "$W/gocache-plain" "$W/gocache-warm"
mount -o bind,ro "$W/gocache-warm" "$W/gocache-warm"
FRONT="PATH=$W/front/bin:$PATH"
cb GOCACHE="$W/gocache-warm" GOROOT="$goroot" TMPDIR="$W/tmp-front" "$FRONT" >/dev/null
links=$(find "$W/tmp-front" -type l | wc -l)
log "the front's farm: $links links in $(ls -d "$W"/tmp-front/gorootimg-go-build-*)"
# Alternate the two, so that the machine's load falls on both alike.
tp="" tq=""
i=0
while [ $i -lt "$RUNS" ]; do
	tp="$tp $(cb GOCACHE="$W/gocache-plain")"
	tq="$tq $(cb GOCACHE="$W/gocache-warm" GOROOT="$goroot" TMPDIR="$W/tmp-front" "$FRONT")"
	i=$((i + 1))
done
log "plain (wall,cpu):$tp; front:$tq"
col() { n=$1; shift; for x in "$@"; do echo "$x" | cut -d, -f"$n"; done; }
# shellcheck disable=SC2086
plain=$(median $(col 1 $tp)) front=$(median $(col 1 $tq))
# shellcheck disable=SC2086
plaincpu=$(median $(col 2 $tp)) frontcpu=$(median $(col 2 $tq))
pct() { python3 -c "import sys; print('%+.1f' % (100 * (float(sys.argv[1]) / float(sys.argv[2]) - 1)))" "$1" "$2"; }
over=$(pct "$front" "$plain")
overcpu=$(pct "$frontcpu" "$plaincpu")
log "front overhead on a warm crane build: wall $over%, CPU $overcpu% (want < 5%)"

echo "| measurement | plain GOCACHE / writable (s) | the front, read-only warm cache (s) | ratio |"
echo "|---|---|---|---|"
[ "$tar" = none ] || echo "| first go build of nethttp in a fresh container of the warm image ($(go version | cut -d' ' -f3) image), ${PAIRS:-3} alternating pairs | $rws | $ros (uid 1000680000:0, --read-only --tmpfs /tmp) | per pair $ratios: median ${ratio}x |"
echo "| warm go build of crane $ggcr on the host, median of $RUNS, wall | $plain | $front | $over% |"
echo "| the same, CPU (user + system, go command and children) | $plaincpu | $frontcpu | $overcpu% |"
