#!/usr/bin/env bash
# The whole test suite: the README's quick-start test command, and what
# .ci/run runs after installing the tools the end-to-end tests use. It is
# go test -count=1 -timeout 80m over every package, with these additions:
#   - the five longest packages are named first, so go test starts them
#     first and they do not run last, alone, on one core;
#   - -p 4 and -parallel 4: up to four packages and four parallel tests of
#     a package at once, where go test's default is the number of cores.
#     The end-to-end tests spend much of their time waiting (downloads,
#     container starts, daemons, fixture locks that another package
#     holds), so with two at a time the two cores idled a third of a
#     fresh-clone run (4,077 core-seconds in 3,145 s on 2026-12-07);
#   - the -json stream is kept and summarised per package and per test
#     (.ci/testtimes) at the end;
#   - each test binary runs under hack/cpu-exec.sh, which records the CPU
#     it and its children used (cpu.tsv), listed per package at the end.
# Arguments go to go test (e.g. -short, -run X). GOROOTIMG_CI_OUT names the
# directory for test.json and log.txt (default: a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
out=${GOROOTIMG_CI_OUT:-$(mktemp -d)}
mkdir -p "$out"

slow=(./test ./cmd/gorootimg ./test/engines ./assemble ./verify)
# A failing go list must stop the run, not shrink it to the five above.
all=$(go list ./...)
mapfile -t rest < <(sed 's|^github.com/gorootimg/gorootimg|.|; s|^\.$|./|' <<<"$all" |
	grep -vxF -e ./test -e ./cmd/gorootimg -e ./test/engines -e ./assemble -e ./verify)

go build -o "$out/testtimes" ./.ci/testtimes
: >"$out/cpu.tsv"
set +e
GOROOTIMG_CPU_LOG="$out/cpu.tsv" go test -count=1 -timeout 80m -p 4 -parallel 4 -json -exec "$PWD/hack/cpu-exec.sh" "$@" "${slow[@]}" "${rest[@]}" 2>&1 |
	tee "$out/test.json" | "$out/testtimes" | tee "$out/log.txt"
status=${PIPESTATUS[0]}
set -e
{
	echo
	echo "CPU of the test binaries and their children, user and system seconds (a lower bound: what container daemons start is theirs):"
	sort -t$'\t' -k2,2gr "$out/cpu.tsv" | awk -F'\t' -v root="$PWD/" '
		{ sub(root, "./", $1); u += $2; s += $3; if ($2 + $3 >= 1) printf "  %8.1f  %8.1f  %s\n", $2, $3, $1 }
		END { printf "  %8.1f  %8.1f  total: %.0f core-seconds\n", u, s, u + s }'
} | tee -a "$out/log.txt"
echo "go test -json output and times: $out"
exit "$status"
