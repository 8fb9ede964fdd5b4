//go:build !linux

package enginetest

import "testing"

// NeedQemu skips the test: binfmt_misc and qemu-user are Linux's.
func NeedQemu(t testing.TB, arch string) {
	t.Helper()
	t.Skipf("skipping: running %s binaries through qemu-user needs Linux binfmt_misc", arch)
}
