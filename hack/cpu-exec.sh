#!/usr/bin/env bash
# go test -exec wrapper (hack/test.sh sets it when GOROOTIMG_CI_OUT is
# set): runs the test binary and appends to $GOROOTIMG_CPU_LOG one line,
# the package directory, user and system CPU seconds of the binary and
# every process it waited for, and its exit status. Processes that
# container daemons start (podman's conmon, dockerd, containerd,
# buildkitd) are not its children: the figures are a lower bound.
"$@"
status=$?
if [ -n "${GOROOTIMG_CPU_LOG:-}" ]; then
	# The second line of `times` is the children's user and system time
	# (run here, not in a subshell, whose children these are not).
	t=$(mktemp)
	times >"$t"
	{ read -r _; read -r user sys; } <"$t"
	rm -f "$t"
	sec() { awk -v t="$1" 'BEGIN { split(t, a, "m"); sub("s", "", a[2]); printf "%.1f", a[1] * 60 + a[2] }'; }
	printf '%s\t%s\t%s\t%d\n' "$PWD" "$(sec "$user")" "$(sec "$sys")" "$status" >>"$GOROOTIMG_CPU_LOG"
fi
exit "$status"
