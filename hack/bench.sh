#!/usr/bin/env bash
# hack/bench.sh: time and size, on one Go SDK and in one run,
#   (a) gorootimg build (gzip and zstd, cache off, OCI layout output),
#   (b) the do-it-yourself pipeline: GNU tar of the same files | gzip, then
#       crane append of that layer onto an empty base into a tarball,
#   (c) tar + sha256 alone: the floor (no compression, no image).
# It prints a markdown table (the one in docs/build.md).
#
# Usage: hack/bench.sh [--go SPEC] [--recipe NAME] [--runs N]
#   defaults: --go 1.26.11 --recipe full --runs 3 (best of N is reported)
# Needs: go, GNU tar, gzip, sha256sum; crane is built from
# go-containerregistry into a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_SPEC=1.26.11
RECIPE=full
RUNS=3
while [ $# -gt 0 ]; do
	case "$1" in
	--go) GO_SPEC=$2; shift 2 ;;
	--recipe) RECIPE=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: $0 [--go SPEC] [--recipe NAME] [--runs N]" >&2; exit 2 ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "building gorootimg and crane..." >&2
go build -o "$tmp/gorootimg" ./cmd/gorootimg
ggcr=$(go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
(cd "$tmp" && GOBIN="$tmp" GOFLAGS= go install "github.com/google/go-containerregistry/cmd/crane@$ggcr")

sdkdir=$("$tmp/gorootimg" sdk --go "$GO_SPEC" --platform linux/amd64 | awk '{print $3}')
version=$(head -1 "$sdkdir/VERSION")
epoch=$(date -d "$(sed -n 's/^time //p' "$sdkdir/VERSION")" +%s)
files=$(find "$sdkdir" -type f | wc -l)
bytes=$(du -sb "$sdkdir" | cut -f1)
echo "SDK: $version linux/amd64 at $sdkdir ($files files, $bytes bytes)" >&2

# Warm the page cache so every contender reads from memory.
tar -C "$sdkdir" -cf - . >/dev/null

now() { date +%s.%N; }
# cpu: user+sys seconds of all waited-for children of this shell so far.
# times must run in this shell, not in a $(...) subshell: hence the file.
cpu() {
	times >"$tmp/times"
	tail -1 "$tmp/times" | awk '{
		s = 0
		for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
		printf "%.3f", s
	}'
}
# best CMD...: runs CMD RUNS times in a subshell; prints the fastest wall
# time and the CPU time (user+sys) of that run, in seconds.
best() {
	local b="" bc=""
	for _ in $(seq "$RUNS"); do
		rm -rf "$tmp/out" && mkdir -p "$tmp/out"
		local s e c0 c1
		cpu >"$tmp/c0"
		s=$(now)
		("$@" >/dev/null)
		e=$(now)
		cpu >"$tmp/c1"
		c0=$(cat "$tmp/c0") c1=$(cat "$tmp/c1")
		read -r b bc < <(echo "$s $e $c0 $c1 ${b:-x} ${bc:-x}" | awk '{
			t = $2 - $1; c = $4 - $3
			if ($5 == "x" || t < $5) printf "%.2f %.2f\n", t, c; else print $5, $6 }')
	done
	echo "$b $bc"
}

gtar() {
	tar -C "$sdkdir" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
		--format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		--transform 's,^\.,usr/local/go,' -cf - .
}

gorootimg_build() {
	SOURCE_DATE_EPOCH=$epoch "$tmp/gorootimg" build --go "$sdkdir" --platform linux/amd64 \
		--recipe "$RECIPE" --no-cache -q --compression "$1" --oci-layout "$tmp/out/layout"
}
diy() {
	gtar | gzip >"$tmp/out/layer.tar.gz"
	"$tmp/crane" append --oci-empty-base -f "$tmp/out/layer.tar.gz" -t diy/go:bench -o "$tmp/out/image.tar"
}
floor() { gtar | sha256sum; }

blobs() { # total size of the layer blobs in the layout
	find "$tmp/out/layout/blobs" -type f -size +4k -printf '%s\n' | awk '{s+=$1} END {print s}'
}

echo "timing gorootimg gzip..." >&2
read -r t_gz c_gz < <(best gorootimg_build gzip); s_gz=$(blobs)
echo "timing gorootimg zstd..." >&2
read -r t_zst c_zst < <(best gorootimg_build zstd); s_zst=$(blobs)
echo "timing do-it-yourself (tar | gzip + crane append)..." >&2
read -r t_diy c_diy < <(best diy); s_diy=$(stat -c %s "$tmp/out/layer.tar.gz")
echo "timing tar + sha256..." >&2
read -r t_floor c_floor < <(best floor); s_floor=$(gtar | wc -c)

mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b/1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a/b}'; }

cat <<TABLE
$version linux/amd64, recipe $RECIPE for gorootimg ($files files, $(mib "$bytes") on disk), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), best of $RUNS runs:

| pipeline | wall time | CPU time | output | wall vs gorootimg gzip | wall vs tar + sha256 |
|---|---:|---:|---:|---:|---:|
| gorootimg build --compression gzip | ${t_gz} s | ${c_gz} s | $(mib "$s_gz") | 1.00× | $(ratio "$t_gz" "$t_floor") |
| gorootimg build --compression zstd | ${t_zst} s | ${c_zst} s | $(mib "$s_zst") | $(ratio "$t_zst" "$t_gz") | $(ratio "$t_zst" "$t_floor") |
| GNU tar \| gzip + crane append (DIY) | ${t_diy} s | ${c_diy} s | $(mib "$s_diy") | $(ratio "$t_diy" "$t_gz") | $(ratio "$t_diy" "$t_floor") |
| GNU tar \| sha256sum (floor) | ${t_floor} s | ${c_floor} s | $(mib "$s_floor") uncompressed | $(ratio "$t_floor" "$t_gz") | 1.00× |
TABLE
