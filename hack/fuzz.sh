#!/usr/bin/env bash
# hack/fuzz.sh runs gorootimg's fuzzers, one after another, and records
# each run (fuzzer, time, execs, corpus, result) in docs/fuzz-runs.tsv,
# which hack/reliability.sh renders into docs/reliability.md.
#
#   hack/fuzz.sh                      # every fuzzer, FUZZTIME each (10m)
#   FUZZTIME=30s hack/fuzz.sh         # a quick pass
#   hack/fuzz.sh sdk FuzzArchive      # one package, or one fuzzer of it
#   JOBS=2 hack/fuzz.sh               # two fuzzers at a time
#
# Each fuzzer uses FUZZPARALLEL workers (1: the machine is shared). A crash
# leaves its input in PKG/testdata/fuzz/FuzzXxx/ (Go writes it there): fix
# the bug, keep the file as a seed and commit both. CI runs only the seed
# corpora, through plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10m}
FUZZPARALLEL=${FUZZPARALLEL:-1}
JOBS=${JOBS:-1}
OUT=${OUT:-docs/fuzz-runs.tsv}
LOGDIR=${LOGDIR:-$(mktemp -d)}

# Every fuzzer: "package Name", found in the fuzz_test.go files.
list() {
	grep -H '^func Fuzz' $(git ls-files '*fuzz_test.go') |
		sed -E 's#^(.*)/fuzz_test.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#'
}

selected=$(list)
if [ $# -ge 1 ]; then
	selected=$(echo "$selected" | awk -v p="$1" -v f="${2:-}" '$1 == p && (f == "" || $2 == f)')
fi
if [ -z "$selected" ]; then
	echo "fuzz.sh: no fuzzer matches $*" >&2
	exit 2
fi

[ -f "$OUT" ] || printf 'date\tpackage\tfuzzer\tfuzztime\texecs\tcorpus\tresult\n' >"$OUT"

run_one() {
	local pkg=$1 name=$2 log="$LOGDIR/$1-$2.log" status=0
	echo "fuzz.sh: $pkg $name for $FUZZTIME (log $log)" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime=20x \
		-parallel "$FUZZPARALLEL" "./$pkg" >"$log" 2>&1 || status=$?
	# The last progress line: "fuzz: elapsed: 10m0s, execs: 123 (..), new interesting: 4 (total: 20)".
	local last execs corpus result
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -1 || true)
	execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	corpus=$(echo "$last" | sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p')
	if [ "$status" -eq 0 ]; then
		result=pass
	else
		result="FAIL: $(grep -m1 -E 'Failing input written to|panic:|--- FAIL' "$log" | sed 's/^ *//' || echo "exit $status")"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$pkg" "$name" "$FUZZTIME" \
		"${execs:-0}" "${corpus:-0}" "$result" >>"$OUT"
	echo "fuzz.sh: $pkg $name: $result, ${execs:-0} execs" >&2
	[ "$status" -eq 0 ]
}

fail=0
running=0
while read -r pkg name; do
	run_one "$pkg" "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
done <<<"$selected"
while [ "$running" -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
exit $fail
