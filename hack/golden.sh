#!/bin/sh
# Regenerates assemble/testdata/golden-*.json, the digests of the fake-SDK
# build that TestGolden compares with. Run it only when a change to the
# layer writer, layer plan or image config is meant to change every digest
# (and bump cacheVersion in assemble/cache.go with it).
set -eu
cd "$(dirname "$0")/.."
go test ./assemble -run '^TestGolden$' -count=1 -update
git diff --stat -- assemble/testdata/
