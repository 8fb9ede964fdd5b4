#!/usr/bin/env bash
# hack/reliability.sh runs the reliability suite (test/hostile: hostile
# inputs, registry faults, credentials, TLS, concurrency, interruption) and
# writes its results, with the fuzz runs recorded by hack/fuzz.sh, into the
# generated section of docs/reliability.md. Every row is a Go test that CI
# also runs (go test ./...); this script only renders them.
#
#   hack/reliability.sh                 # the suite and the table
#   MEASURE_RSS=1 hack/reliability.sh   # also measure peak RSS of a
#                                       # two-platform build of RSS_GO
#
# The RSS measurement builds RSS_GO (default 1.26.11, the largest release
# at the time of writing) for linux/amd64 and linux/arm64 with --recipe full
# under /usr/bin/time -v twice: with an empty cache (downloading the two
# toolchain zips from GOPROXY) and with the shared cache and --no-cache.
set -euo pipefail
cd "$(dirname "$0")/.."

tests='^(TestHostileResolve|TestHostileBuild|TestPushFaults|TestCredentials|TestPlainHTTPNeedsInsecure|TestTLSVerification|TestConcurrentBuilds|TestInterrupt|TestInterruptWhileWriting|TestKillThenRebuild)$'
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

status=0
go test -count=1 -json -run "$tests" ./test/hostile/ >"$work/test.json" || status=$?

# The measurement is kept in docs/reliability-rss.md between runs.
rss=docs/reliability-rss.md
if [ "${MEASURE_RSS:-}" = 1 ]; then
	go build -o "$work/gorootimg" ./cmd/gorootimg
	v=${RSS_GO:-1.26.11}
	# measure LABEL CACHE ARGS...: one row of the memory table.
	measure() {
		local label=$1 cache=$2
		shift 2
		rm -rf "$work/out"
		GOROOTIMG_CACHE=$cache /usr/bin/time -v "$work/gorootimg" "$@" >"$work/rss.out" 2>"$work/rss.err" || {
			cat "$work/rss.err" >&2
			exit 1
		}
		local kb wall
		kb=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$work/rss.err")
		wall=$(sed -nE 's/.*Elapsed \(wall clock\) time.*: (.*)/\1/p' "$work/rss.err")
		echo "| $label | \`gorootimg ${*/$work\/out/OUT}\` | $((kb / 1024)) MiB | < 300 MiB | $wall |"
	}
	args=(build --go "$v" --platform linux/amd64,linux/arm64 --recipe full --oci-layout "$work/out")
	shared=${GOROOTIMG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gorootimg}
	{
		echo "| Case | Build | Peak RSS | Target | Wall time |"
		echo "|---|---|---|---|---|"
		measure "empty cache: download, verify and unpack both SDKs, write every layer" "$work/cache" "${args[@]}"
		measure "SDKs cached, layers written afresh" "$shared" "${args[@]}" --no-cache
		echo
		echo "Measured with \`MEASURE_RSS=1 hack/reliability.sh\` (/usr/bin/time -v) on $(date -u +%Y-%m-%d), $(nproc) shared cores."
	} >"$rss.new"
	mv "$rss.new" "$rss"
fi

go run ./hack/reliability -doc docs/reliability.md -fuzz docs/fuzz-runs.tsv -rss "$rss" <"$work/test.json" || status=1
exit $status
