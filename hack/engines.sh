#!/bin/sh
# engines.sh runs the end-to-end tests in real container engines
# (test/engines: podman, buildah, BuildKit's Dockerfile frontend, the arm64
# image under qemu-user; TestRuntimes: dockerd and containerd's CRI with
# crictl) for each release given, newest patch of a line or
# an exact release, and writes the table of docs/engines.md (every row the
# test records, the zstd pull row included).
#
#	hack/engines.sh                    # go1.22.x and go1.26.x
#	hack/engines.sh 1.26.11            # one release
#
# Needs root (CI runs as root) and what .ci/run installs. It takes about
# 10 minutes per release on an idle 2-core machine; downloads go to the
# shared cache (GOROOTIMG_CACHE or the user cache dir).
set -eu
cd "$(dirname "$0")/.."
releases="${*:-1.22 1.26}"
# Rows accumulate in a committed file, so a run of some releases replaces
# only their rows and the table keeps the others.
out="$PWD/hack/engines/results.jsonl"
touch "$out"
status=0
for r in $releases; do
	echo "engines: go$r" >&2
	rows=$(mktemp)
	GOROOTIMG_ENGINES_GO=$r GOROOTIMG_ENGINES_ROWS=$rows \
		go test -count=1 -timeout 90m -run 'TestEngines$|TestRuntimes$' -v ./test/engines >&2 || status=1
	# The rows name the exact release; drop that release's old rows.
	rel=$(sed -n 's/.*"release":"\([^"]*\)".*/\1/p' "$rows" | head -n 1)
	if [ -n "$rel" ]; then
		grep -v "\"release\":\"$rel\"" "$out" >"$out.tmp" || true
		cat "$rows" >>"$out.tmp"
		mv "$out.tmp" "$out"
	fi
	rm -f "$rows"
done
table=$(go run ./hack/engines <"$out")
echo "$table"
doc=docs/engines.md
awk -v table="$table" '
	/<!-- engines-table:start -->/ { print; print table; skip = 1; next }
	/<!-- engines-table:end -->/ { skip = 0 }
	!skip { print }
' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
echo "engines: wrote the table to $doc" >&2
exit $status
