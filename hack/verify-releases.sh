#!/bin/sh
# verify-releases.sh runs verify's end-to-end test for each Go release
# given (default: the oldest and newest supported, 1.21 and 1.26): it builds
# minimal, build and ci images of the newest patch release on scratch,
# verifies each against the full SDK (all must pass, each held to its
# recipe's capabilities), and checks that an image from a recipe dropping
# net/http fails naming the build probe and the missing package.
#
# CI runs this test for the newest release only (go test ./verify);
# run this script for the others. Needs root for the sandbox (otherwise
# the toolchain runs unsandboxed) and a reachable Go module proxy.
#
#   hack/verify-releases.sh            # 1.21 and 1.26
#   hack/verify-releases.sh 1.22 1.23  # others
set -eu
cd "$(dirname "$0")/.."
releases=${*:-1.21 1.26}
status=0
for r in $releases; do
	echo "== verify: go$r" >&2
	start=$(date +%s)
	if GOROOTIMG_VERIFY_GO=$r GOROOTIMG_VERIFY_RECIPES=minimal,build go test -count=1 -timeout 120m -run '^TestVerifyRecipes$' -v ./verify; then
		echo "== verify: go$r PASS in $(($(date +%s) - start))s" >&2
	else
		echo "== verify: go$r FAIL in $(($(date +%s) - start))s" >&2
		status=1
	fi
done
exit $status
