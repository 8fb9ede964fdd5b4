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
# best CMD...: runs CMD RUNS times, prints the fastest wall time in seconds.
best() {
	local b=""
	for _ in $(seq "$RUNS"); do
		rm -rf "$tmp/out" && mkdir -p "$tmp/out"
		local s e
		s=$(now)
		"$@" >/dev/null
		e=$(now)
		b=$(echo "$s $e $b" | awk '{t=$2-$1; if ($3=="" || t<$3) print t; else print $3}')
	done
	echo "$b"
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
t_gz=$(best gorootimg_build gzip); s_gz=$(blobs)
echo "timing gorootimg zstd..." >&2
t_zst=$(best gorootimg_build zstd); s_zst=$(blobs)
echo "timing do-it-yourself (tar | gzip + crane append)..." >&2
t_diy=$(best diy); s_diy=$(stat -c %s "$tmp/out/layer.tar.gz")
echo "timing tar + sha256..." >&2
t_floor=$(best floor); s_floor=$(gtar | wc -c)

mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b/1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a/b}'; }

cat <<TABLE
$version linux/amd64, recipe $RECIPE for gorootimg ($files files, $(mib "$bytes") on disk), $(nproc) CPUs, best of $RUNS runs:

| pipeline | time | output | vs gorootimg gzip | vs tar + sha256 |
|---|---:|---:|---:|---:|
| gorootimg build --compression gzip | ${t_gz}s | $(mib "$s_gz") | 1.00× | $(ratio "$t_gz" "$t_floor") |
| gorootimg build --compression zstd | ${t_zst}s | $(mib "$s_zst") | $(ratio "$t_zst" "$t_gz") | $(ratio "$t_zst" "$t_floor") |
| GNU tar \| gzip + crane append (DIY) | ${t_diy}s | $(mib "$s_diy") | $(ratio "$t_diy" "$t_gz") | $(ratio "$t_diy" "$t_floor") |
| GNU tar \| sha256sum (floor) | ${t_floor}s | $(mib "$s_floor") uncompressed | $(ratio "$t_floor" "$t_gz") | 1.00× |
TABLE
