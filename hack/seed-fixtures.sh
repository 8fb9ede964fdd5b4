#!/bin/sh
# seed-fixtures.sh records the full SDK's probe references of the
# fidelity and verify end-to-end tests in the repository
# (testkit/fixture/testdata/seed), so that a fresh machine whose inputs
# give the same keys (SDK content hash, probe corpus and runner, sandbox,
# C compiler, linker, C library, host platform; testkit/fixture ProbeKey)
# reads them instead of building the full SDK's side again. The image's
# side of every proof still runs.
#
#	hack/seed-fixtures.sh LOG...   # go test -v logs (or hack/test.sh's log.txt) of a green run
#
# It copies from the fixture store every probe-reference and
# verify-reference the logs name and drops the seeds they do not name.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: hack/seed-fixtures.sh LOG..." >&2; exit 2; }
store="${GOROOTIMG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gorootimg}/test-fixtures"
seed=testkit/fixture/testdata/seed
keys=$(grep -ho 'fixture \(probe\|verify\)-reference/[0-9a-f]*' "$@" | sed 's/^fixture //' | sort -u)
[ -n "$keys" ] || { echo "seed-fixtures: the logs name no probe or verify reference" >&2; exit 1; }
tmp=$(mktemp -d "$seed.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for k in $keys; do
	if [ ! -f "$store/$k.json" ] && [ ! -f "$seed/$k.json" ]; then
		echo "seed-fixtures: $k is in neither the store nor the seed: was the run green?" >&2
		exit 1
	fi
	mkdir -p "$tmp/$(dirname "$k")"
	if [ -f "$store/$k.json" ]; then cp "$store/$k.json" "$tmp/$k.json"; else cp "$seed/$k.json" "$tmp/$k.json"; fi
done
rm -rf "$seed" && mv "$tmp" "$seed" && trap - EXIT
echo "seed-fixtures: $(echo "$keys" | wc -l) references in $seed" >&2
