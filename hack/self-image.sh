#!/bin/sh
# hack/self-image.sh builds gorootimg's own image, the one the examples in
# hack/examples run: a static gorootimg (CGO_ENABLED=0) for linux/amd64 and
# linux/arm64 as the entrypoint, the CA roots, and the non-root user 65532,
# assembled and published by hack/selfimage with gorootimg's own layer
# writer and publishers (as ko publishes ko).
#
# The image's environment gets the GOPROXY and GOSUMDB this machine's go
# command uses ('go env'), with the checksum database's key spelled out,
# since the image has no go command to look it up.
#
# Usage:
#   hack/self-image.sh --oci-layout DIR [-t TAG]
#   hack/self-image.sh -t registry.example/gorootimg:v0.1.0 --push
#
# VERSION overrides the version (default: git describe); SOURCE_DATE_EPOCH
# the image time (default: the last commit's). The same tree, Go and
# SOURCE_DATE_EPOCH give the same digest.
set -eu
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
for arch in amd64 arm64; do
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
		-ldflags "-s -w -X main.version=$version" \
		-o "$bin/gorootimg-linux-$arch" ./cmd/gorootimg
done
exec go run ./hack/selfimage -bin "$bin" -version "$version" \
	-goproxy "$(go env GOPROXY)" -gosumdb "$(go env GOSUMDB)" -goroot "$(go env GOROOT)" "$@"
