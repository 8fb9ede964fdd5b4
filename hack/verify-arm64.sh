#!/bin/sh
# verify-arm64.sh verifies a ci image of the newest go1.26 (or
# GOROOTIMG_VERIFY_GO) for linux/arm64 under qemu-user: the image's own
# arm64 toolchain runs verify's foreign probe subset and every artifact is
# compared with the host's full SDK cross-compiling to linux/arm64
# (TestVerifyForeign, emulated and cross). CI runs only the cross half:
# the emulated one takes tens of minutes on 2 cores. Needs root (binfmt_misc
# and the sandbox) and qemu-user-static.
#
#   hack/verify-arm64.sh
set -eu
cd "$(dirname "$0")/.."
GOROOTIMG_TEST_EMULATED=1 exec go test -count=1 -timeout 120m -run '^TestVerifyForeign$' -v ./verify
