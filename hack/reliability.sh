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
# and --no-cache under /usr/bin/time -v, using the shared SDK cache (it
# downloads the two toolchain zips from GOPROXY the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

tests='^(TestHostileResolve|TestPushFaults|TestCredentials|TestPlainHTTPNeedsInsecure|TestTLSVerification|TestConcurrentBuilds|TestInterrupt)$'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
go test -count=1 -json -run "$tests" ./test/hostile/ >"$work/test.json" || status=$?

# The measurement is kept in docs/reliability-rss.md between runs.
rss=docs/reliability-rss.md
if [ "${MEASURE_RSS:-}" = 1 ]; then
	go build -o "$work/gorootimg" ./cmd/gorootimg
	v=${RSS_GO:-1.26.11}
	cmd=(build --go "$v" --platform linux/amd64,linux/arm64 --recipe full --no-cache --oci-layout "$work/out")
	/usr/bin/time -v "$work/gorootimg" "${cmd[@]}" >"$work/rss.out" 2>"$work/rss.err" || {
		cat "$work/rss.err" >&2
		exit 1
	}
	kb=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$work/rss.err")
	wall=$(sed -nE 's/.*Elapsed \(wall clock\) time.*: (.*)/\1/p' "$work/rss.err")
	{
		echo "| Build | Peak RSS | Target | Wall time |"
		echo "|---|---|---|---|"
		echo "| \`gorootimg ${cmd[*]/$work\/out/OUT}\` | $((kb / 1024)) MiB | < 300 MiB | $wall |"
		echo
		echo "Measured with \`MEASURE_RSS=1 hack/reliability.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, shared)."
	} >"$rss"
fi

go run ./hack/reliability -doc docs/reliability.md -fuzz docs/fuzz-runs.tsv -rss "$rss" <"$work/test.json" || status=1
exit $status
