#!/bin/sh
# fidelity.sh proves every built-in recipe on every supported Go release:
# for each release line from 1.21 to the newest (newest patch of each,
# from the module proxy), it runs the fidelity test (test/fidelity_test.go)
# and writes the results table into docs/recipes.md.
#
#	hack/fidelity.sh                 # all lines, all recipes
#	hack/fidelity.sh 1.22 1.26       # some lines
#
# It takes about 10-15 minutes per release on 2 cores. Downloads go to the
# shared cache (GOROOTIMG_CACHE or the user cache dir).
set -eu
cd "$(dirname "$0")/.."
releases="$*"
if [ -z "$releases" ]; then
	newest=$(go version | sed -n 's/.*go1\.\([0-9]*\).*/\1/p')
	releases=$(seq 21 "$newest" | sed 's/^/1./')
fi
# Rows accumulate in a committed file, so a run of some release lines
# replaces only their rows and the table keeps the others.
out="$PWD/hack/fidelity/results.jsonl"
touch "$out"
status=0
for r in $releases; do
	echo "fidelity: $r" >&2
	grep -v "\"release\":\"go$r\." "$out" >"$out.tmp" || true
	mv "$out.tmp" "$out"
	GOROOTIMG_FIDELITY_RELEASES=$r \
	GOROOTIMG_FIDELITY_RECIPES=full,slim,ci,ci-native,build,minimal \
	GOROOTIMG_FIDELITY_OUT=$out \
		go test -count=1 -timeout 0 -run 'TestFidelity$' ./test >&2 || status=1
done
table=$(go run ./hack/fidelity <"$out")
echo "$table"
for doc in docs/recipes.md; do
	awk -v table="$table" '
		/<!-- fidelity-table:start -->/ { print; print table; skip = 1; next }
		/<!-- fidelity-table:end -->/ { skip = 0 }
		!skip { print }
	' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
	echo "fidelity: wrote the table to $doc" >&2
done
exit $status
