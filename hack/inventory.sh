#!/usr/bin/env bash
# Rewrites recipes/inventory/go1.NN.json: the inventory (go subcommands, go
# tools, GOROOT support files) of the newest release of every line from
# 1.21 to the newest the module proxy serves, generated from each SDK
# (fetched and cached by gorootimg sdk) by hack/inventory/main.go.
#
#	hack/inventory.sh            # every line
#	hack/inventory.sh 1.26 1.27  # some lines
#
# Then run go test ./recipes: it fails for every inventory entry a recipe
# neither keeps nor declares in its gives-up list.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
bin=$(mktemp -d)/gorootimg
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/gorootimg

# The newest final release of each line >= 1.21, oldest line first.
newest=$("$bin" releases 2>/dev/null | awk '{print $1}' | grep -E '^go1\.[0-9]+\.[0-9]+$' |
	sort -V | awk -F. '$2 >= 21 {last[$1"."$2] = $0} END {for (l in last) print last[l]}' | sort -V)
lines=("$@")
for v in $newest; do
	line=${v#go}
	line=${line%.*}
	if [ ${#lines[@]} -gt 0 ] && ! printf '%s\n' "${lines[@]}" | grep -qx "$line"; then
		continue
	fi
	goroot=$("$bin" sdk --go "${v#go}" | awk '{print $3}')
	echo "$v: $goroot" >&2
	go run ./hack/inventory -goroot "$goroot" -version "$v" >"recipes/inventory/go$line.json"
done
