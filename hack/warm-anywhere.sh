#!/bin/sh
# warm-anywhere.sh: the by-hand proofs of issue 21 (docs/warm-cache.md).
#
#   1. gorootimg build --warm-cache std,vet for linux/amd64 and linux/arm64
#      as uid 65532 with no capabilities (setpriv): the privilege-free path
#      for both platforms, its wall time from the report's log;
#   2. the same build again in another process with --no-cache: the same
#      index digest;
#   3. gorootimg verify --warm-only of both platforms (as root: verify's
#      sandbox; arm64 under qemu-user's binfmt_misc handler).
#
# Needs root (for setpriv and verify), setpriv, qemu-user-static with the
# aarch64 handler registered with the F flag, and GOPROXY for the SDKs.
#
#   GO=1.26.11 hack/warm-anywhere.sh
set -eu
GO=${GO:-1.26.11}
LIST=${LIST:-std,vet}
here=$(cd "$(dirname "$0")/.." && pwd)
W=${W:-$(mktemp -d /tmp/warm-anywhere.XXXXXX)}
log() { echo "warm-anywhere: $*" >&2; }
(cd "$here" && go build -o "$W/gorootimg" ./cmd/gorootimg)
chmod 0755 "$W" "$W/gorootimg"
mkdir -p "$W/u"
chown 65532:65532 "$W/u"
unpriv() {
	setpriv --reuid 65532 --regid 65532 --clear-groups --inh-caps=-all --bounding-set=-all \
		env -i HOME="$W/u" GOROOTIMG_CACHE="$W/u/cache" PATH="$PATH" ${GOPROXY:+GOPROXY=$GOPROXY} ${GOSUMDB:+GOSUMDB=$GOSUMDB} "$@"
}
build() { # build OUT [FLAGS]: the unprivileged build, its digest on stdout
	out=$1
	shift
	s=$(date +%s)
	unpriv "$W/gorootimg" build --go "$GO" --platform linux/amd64,linux/arm64 --warm-cache "$LIST" \
		--oci-layout "$W/u/$out" --report-json "$W/u/$out.json" "$@" 2>"$W/$out.log"
	log "$out: built in $(($(date +%s) - s)) s as uid 65532; warm steps:"
	grep -E 'warmcache: go |built on the' "$W/$out.log" | sed 's/^/  /' >&2
}
a=$(build a)
b=$(build b --no-cache)
log "first $a, second (another process, --no-cache) $b"
[ "$a" = "$b" ] || { log "the digests differ"; exit 1; }
for p in linux/amd64 linux/arm64; do
	s=$(date +%s)
	"$W/gorootimg" verify --warm-only --platform "$p" "oci:$W/u/a" >"$W/verify-${p#linux/}.txt" 2>&1 || {
		cat "$W/verify-${p#linux/}.txt" >&2
		exit 1
	}
	log "verify --warm-only $p: passed in $(($(date +%s) - s)) s"
	grep -E 'warm/' "$W/verify-${p#linux/}.txt" | sed 's/^/  /' >&2
done
echo "$a"
