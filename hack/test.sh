#!/usr/bin/env bash
# The whole test suite: the README's quick-start test command, and what
# .ci/run runs after installing the tools the end-to-end tests use. It is
# go test -count=1 -timeout 80m over every package, with two additions:
#   - the five longest packages are named first, so go test starts them
#     first and they do not run last, alone, on one core;
#   - the -json stream is kept and summarised per package and per test
#     (.ci/testtimes) at the end.
# Arguments go to go test (e.g. -short, -run X). GOROOTIMG_CI_OUT names the
# directory for test.json and log.txt (default: a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
out=${GOROOTIMG_CI_OUT:-$(mktemp -d)}
mkdir -p "$out"

slow=(./test ./cmd/gorootimg ./test/engines ./assemble ./verify)
mapfile -t rest < <(go list ./... | sed 's|^github.com/gorootimg/gorootimg|.|; s|^\.$|./|' |
	grep -vxF -e ./test -e ./cmd/gorootimg -e ./test/engines -e ./assemble -e ./verify)

go build -o "$out/testtimes" ./.ci/testtimes
set +e
go test -count=1 -timeout 80m -json "$@" "${slow[@]}" "${rest[@]}" 2>&1 | tee "$out/test.json" | "$out/testtimes" | tee "$out/log.txt"
status=${PIPESTATUS[0]}
set -e
echo "go test -json output and times: $out"
exit "$status"
