#!/bin/sh
# warm-bench.sh: what an image costs a CI job that starts from nothing
# (issue 12). Not a test: it prints Markdown tables on stdout.
#
#   hack/warm-bench.sh                          # everything but the cgo row
#   IMAGES="default warm" MODULES=nethttp SIZES= hack/warm-bench.sh
#   CGO_BASE=oci:DIR hack/warm-bench.sh         # adds the cgo row
#
# Images (each pushed to a docker-registry started on 127.0.0.1):
#   full     --recipe full (the whole SDK)
#   default  the default recipe
#   warm     the default recipe with --warm-cache std,vet
#   warmstd  the default recipe with --warm-cache std (the vet row's cost)
# Modules (hack/warm-bench/):
#   nethttp  a small net/http service with one test
#   crane    github.com/google/go-containerregistry's cmd/crane, at the
#            version go.mod pins, vendored on the host first (go mod vendor
#            through GOPROXY), so the container builds with --network none
#            and the times are compiling, not downloading; its test row is
#            go test ./cmd/crane/... ./pkg/crane/...
#   cgo      a cgo program, only with CGO_BASE (a base with gcc, such as the
#            Dockerfile.base image test/engines builds): the three images
#            are built again on that base
# For each module and image: the image is removed from podman's store and
# pulled again (the pull time), then each of `go version` (container start),
# the first `go build` and the first `go test` runs in a fresh container;
# "of which the go command" is the span of that command's -debug-trace.
# SIZES lists the compressions whose image sizes (the sum of the
# linux/amd64 manifest's compressed layers, base included) are printed.
#
# Needs root, podman, runc, docker-registry, python3, and GOPROXY for the
# SDK and crane's dependencies. Run it niced on a shared machine.
set -eu
GO=${GO:-1.26}
IMAGES=${IMAGES:-full default warm}
MODULES=${MODULES:-nethttp crane}
SIZES=${SIZES-gzip zstd:3 zstd:9 zstd:19 zstd:22}
CGO_BASE=${CGO_BASE:-}
[ -n "$CGO_BASE" ] && MODULES="$MODULES cgo"
here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/warm-bench.XXXXXX)
cleanup() {
	[ -n "${regpid:-}" ] && kill "$regpid" 2>/dev/null
	$P rm --all --force >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
log() { echo "warm-bench: $*" >&2; }

P="podman --storage-driver vfs --runtime /usr/sbin/runc --cgroup-manager cgroupfs --root $W/store --runroot $W/run --tmpdir $W/tmp"
mkdir -p "$W/tmp"
R="run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
(cd "$here" && go build -o "$W/gorootimg" ./cmd/gorootimg)

# The registry, on a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat >"$W/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/registry
  delete:
    enabled: true
http:
  addr: $reg
  secret: warm-bench
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
regpid=$!
i=0
until python3 -c "import urllib.request; urllib.request.urlopen('http://$reg/v2/')" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$W/registry.log" >&2; exit 1; }
	sleep 0.2
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

flags() {
	case $1 in
	full) echo --recipe full ;;
	default) ;;
	warm) echo --warm-cache std,vet ;;
	warmstd) echo --warm-cache std ;;
	*) log "unknown image $1 (full, default, warm, warmstd)"; exit 2 ;;
	esac
}

# push IMAGE SUFFIX [BASE FLAGS]: build IMAGE with gzip and push it.
push() {
	img=$1 suf=$2
	shift 2
	s=$(now)
	# shellcheck disable=SC2046
	"$W/gorootimg" build -q --go "$GO" --platform linux/amd64 $(flags "$img") "$@" -t "$reg/bench:$img$suf" --push >/dev/null
	log "built and pushed $img$suf in $(since "$s") s"
}

# Modules, on the host.
cp -r "$here/hack/warm-bench/nethttp" "$here/hack/warm-bench/cgo" "$W/"
if echo "$MODULES" | grep -q crane; then
	ggcr=$(cd "$here" && go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
	dir=$(cd "$here" && go mod download -json "github.com/google/go-containerregistry@$ggcr" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
	cp -r "$dir" "$W/crane"
	chmod -R u+w "$W/crane"
	(cd "$W/crane" && GOFLAGS=-mod=mod go mod vendor)
	log "crane: go-containerregistry@$ggcr vendored"
fi
chmod -R a+rwX "$W/nethttp" "$W/cgo" "$W/crane" 2>/dev/null || true

# build_cmd, test_cmd MODULE: the first go build and go test of MODULE.
build_cmd() {
	case $1 in
	crane) echo go build -debug-trace=/src/.bench-trace.json -mod=vendor -o /tmp/crane ./cmd/crane ;;
	*) echo go build -debug-trace=/src/.bench-trace.json -o /tmp/app . ;;
	esac
}
test_cmd() {
	case $1 in
	crane) echo go test -debug-trace=/src/.bench-trace.json -mod=vendor ./cmd/crane/... ./pkg/crane/... ;;
	*) echo go test -debug-trace=/src/.bench-trace.json ./... ;;
	esac
}

# inside FILE: the seconds the go command itself ran, from its -debug-trace
# (first event to last), without the container's start and stop.
inside() {
	python3 - "$1" <<'PY'
import json, sys
ev = [e for e in json.load(open(sys.argv[1])) if "ts" in e]
print("%.2f" % ((max(e["ts"] + e.get("dur", 0) for e in ev) - min(e["ts"] for e in ev)) / 1e6))
PY
}

# timed NAME CMD...: run CMD, print its seconds; on failure show its log.
timed() {
	n=$1
	shift
	s=$(now)
	if ! "$@" >"$W/$n.log" 2>&1; then
		log "$n failed:"
		tail -20 "$W/$n.log" >&2
		exit 1
	fi
	since "$s"
}

for img in $IMAGES; do
	push "$img" ""
	if [ -n "$CGO_BASE" ]; then
		push "$img" -cgo --base "$CGO_BASE"
	fi
done

echo "go$GO, $(nproc) cores, load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| module | image | podman pull (s) | go version (s) | first go build (s) | of which the go command (s) | first go test (s) | of which the go command (s) |"
echo "|---|---|---|---|---|---|---|---|"
for mod in $MODULES; do
	suffix=
	[ "$mod" = cgo ] && suffix=-cgo
	for img in $IMAGES; do
		ref=$reg/bench:$img$suffix
		$P rmi -f "$ref" >/dev/null 2>&1 || true
		pull=$(timed pull $P pull -q --tls-verify=false "$ref")
		run="$P $R -v $W/$mod:/src -w /src $ref"
		ver=$(timed version $run go version)
		# shellcheck disable=SC2046
		b=$(timed build $run $(build_cmd "$mod"))
		in=$(inside "$W/$mod/.bench-trace.json")
		rm -f "$W/$mod/.bench-trace.json"
		# shellcheck disable=SC2046
		tt=$(timed test $run $(test_cmd "$mod"))
		tin=$(inside "$W/$mod/.bench-trace.json")
		rm -f "$W/$mod/.bench-trace.json"
		echo "| $mod | $img$suffix | $pull | $ver | $b | $in | $tt | $tin |"
		log "$mod $img$suffix: pull $pull s, go version $ver s, go build $b s ($in s in the go command), go test $tt s ($tin s in the go command) (load $(cut -d' ' -f1 /proc/loadavg))"
	done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

[ -n "$SIZES" ] || exit 0
# size DIR: the compressed size in MB of the layout's linux/amd64 image.
size() {
	python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
def blob(desc):
    alg, h = desc["digest"].split(":")
    return json.load(open(os.path.join(d, "blobs", alg, h)))
m = blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0])
while "manifests" in m:
    m = blob(next(x for x in m["manifests"] if x.get("platform", {}).get("architecture") == "amd64"))
print("%.1f" % (sum(l["size"] for l in m["layers"]) / 1e6))
PY
}
echo
printf '| image |'
for c in $SIZES; do printf ' %s (MB) |' "$(echo "$c" | sed 's/:/ /')"; done
printf '\n|---|'
for c in $SIZES; do printf -- '---|'; done
echo
for img in $IMAGES; do
	printf '| %s |' "$img"
	for c in $SIZES; do
		comp=${c%%:*}
		lvl=
		case $c in *:*) lvl="--compression-level ${c#*:}" ;; esac
		out=$W/size-$img-$comp${c#"$comp"}
		s=$(now)
		# shellcheck disable=SC2046,SC2086
		"$W/gorootimg" build -q --go "$GO" --platform linux/amd64 $(flags "$img") --compression "$comp" $lvl --oci-layout "$out" >/dev/null
		log "$img $c built in $(since "$s") s"
		printf ' %s |' "$(size "$out")"
		rm -rf "$out"
	done
	echo
done
