#!/usr/bin/env bash
# Issue 22's engine proof for every recipe and every release line with an
# inventory (recipes/inventory): test/engines TestAudit builds each
# recipe's image and the full image of the same release, runs one real
# step per inventory entry in podman in each, and fails when the outcomes
# differ for an entry the recipe does not declare given up. CI runs it for
# ci on the oldest and the newest line only.
#
#	hack/audit.sh                      # every recipe, every line
#	hack/audit.sh ci,slim 1.22,1.26    # some recipes, some lines
#
# Needs root, podman and the module proxy (as test/engines does); node on
# the host is mounted for the js/wasm go test workflow.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
recipes=${1:-slim,ci,ci-native,build,minimal}
if [ $# -ge 2 ]; then
	lines=$2
else
	lines=$(ls recipes/inventory/go1.*.json | sed 's|.*/go||; s|\.json||' | sort -V | paste -sd, -)
fi
echo "recipes $recipes, lines $lines" >&2
GOROOTIMG_AUDIT_RECIPES=$recipes GOROOTIMG_AUDIT_LINES=$lines \
	go test -count=1 -run '^TestAudit$' -v -timeout 180m ./test/engines
