#!/bin/sh
# warm-bench.sh: how much --warm-cache saves on the first go build in a
# fresh podman container (issue 12). Not a test: it prints a table.
#
#   sudo hack/warm-bench.sh [GO]      # GO defaults to 1.26
#
# It builds the default image with and without --warm-cache std (gzip),
# and the warm one again with zstd at level 22, loads each into a private
# podman store, and times the first `go build` of a net/http hello world
# in a fresh container of each (the cold case is the default image), as
# root and as uid 1000. Needs root, podman, runc and the module proxy.
set -eu
GO=${1:-1.26}
W=$(mktemp -d /tmp/warm-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
here=$(cd "$(dirname "$0")/.." && pwd)
(cd "$here" && go build -o "$W/gorootimg" ./cmd/gorootimg)
P="podman --storage-driver vfs --runtime /usr/sbin/runc --cgroup-manager cgroupfs --root $W/store --runroot $W/run"
R="run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

mkdir -p "$W/src"
printf 'module example.com/hello\n\ngo 1.21\n' >"$W/src/go.mod"
cat >"$W/src/main.go" <<'GO'
package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	fmt.Println(http.ListenAndServe(":8080", nil))
}
GO
chmod -R a+rwX "$W/src"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

# image NAME FLAGS...: build, report the build time and the image size.
image() {
	name=$1
	shift
	s=$(now)
	"$W/gorootimg" build --go "$GO" --no-cache -q --json --tarball "$W/$name.tar" -t "localhost/bench:$name" "$@" >"$W/$name.json"
	e=$(now)
	size=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["report"]["platforms"][0]; w=r.get("warmCache"); print(r["total"]["compressed"] + (w["layer"]["compressed"] if w else 0))' "$W/$name.json")
	printf '%-14s build %6.1f s  GOROOT+cache compressed %6.1f MB\n' "$name" "$(secs "$s" "$e")" "$(echo "$size / 1000000" | bc -l)"
	$P load -q -i "$W/$name.tar" >/dev/null
}

# first NAME USER: time the first go build -x in a fresh container.
first() {
	s=$(now)
	$P $R --user "$2" -v "$W/src:/src" -w /src "localhost/bench:$1" go build -x -o /tmp/hello . >"$W/$1-$2.log" 2>&1
	e=$(now)
	printf '%-14s user %-9s first go build %6.2f s  compiles %d\n' "$1" "$2" "$(secs "$s" "$e")" "$(grep -c '/compile ' "$W/$1-$2.log" || true)"
}

image default
image warm --warm-cache std
image warm-zstd22 --warm-cache std --compression zstd --compression-level 22
for img in default warm warm-zstd22; do
	for u in 0:0 1000:1000; do
		first "$img" "$u"
	done
done
