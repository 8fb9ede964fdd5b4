//go:build linux

package enginetest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const binfmtDir = "/proc/sys/fs/binfmt_misc"

// NeedQemu makes sure the kernel runs binaries of arch ("aarch64") through
// qemu-user: binfmt_misc is mounted if it is not, and the handler Debian's
// qemu-user-static describes in /usr/lib/binfmt.d/qemu-ARCH.conf is
// registered with the F flag (the kernel opens the interpreter once, so it
// works inside containers whose file system lacks it). A handler already
// registered is used if it has the F flag. The registration is the
// kernel's, not the test's, and is left in place. The test is skipped,
// saying why, only where the kernel refuses.
func NeedQemu(t testing.TB, arch string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: registering a binfmt handler needs root; CI runs as root")
	}
	name := "qemu-" + arch
	conf := filepath.Join("/usr/lib/binfmt.d", name+".conf")
	line, err := binfmtLine(conf)
	if err != nil {
		t.Skipf("skipping: %v (.ci/run installs qemu-user-static with apt-get)", err)
	}
	if _, err := os.Stat(filepath.Join(binfmtDir, "register")); err != nil {
		if err := syscall.Mount("binfmt_misc", binfmtDir, "binfmt_misc", 0, ""); err != nil {
			t.Skipf("skipping: the kernel refuses to mount binfmt_misc at %s: %v", binfmtDir, err)
		}
	}
	if st, err := os.ReadFile(filepath.Join(binfmtDir, "status")); err == nil && strings.TrimSpace(string(st)) != "enabled" {
		t.Skipf("skipping: binfmt_misc is %s on this kernel", strings.TrimSpace(string(st)))
	}
	entry := filepath.Join(binfmtDir, name)
	if b, err := os.ReadFile(entry); err == nil {
		if handlerOK(string(b)) {
			return
		}
		// Registered without F (or disabled): replace it with ours.
		if err := os.WriteFile(entry, []byte("-1"), 0); err != nil {
			t.Skipf("skipping: the kernel refuses to remove the %s handler without the F flag: %v", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(binfmtDir, "register"), []byte(line), 0); err != nil && !errors.Is(err, syscall.EEXIST) {
		t.Skipf("skipping: the kernel refuses to register %s from %s: %v", name, conf, err)
	}
	b, err := os.ReadFile(entry)
	if err != nil || !handlerOK(string(b)) {
		t.Skipf("skipping: %s is not an enabled handler with the F flag after registering it (%v):\n%s", name, err, b)
	}
}

// handlerOK reports whether a binfmt_misc entry is enabled with the F flag.
func handlerOK(entry string) bool {
	enabled, fix := false, false
	for _, l := range strings.Split(entry, "\n") {
		if l == "enabled" {
			enabled = true
		}
		if f, ok := strings.CutPrefix(l, "flags: "); ok && strings.Contains(f, "F") {
			fix = true
		}
	}
	return enabled && fix
}

// binfmtLine reads the registration line of a binfmt.d file and makes sure
// it asks for the F flag.
func binfmtLine(conf string) (string, error) {
	f, err := os.Open(conf)
	if err != nil {
		return "", fmt.Errorf("no binfmt description: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
			continue
		}
		// :name:type:offset:magic:mask:interpreter:flags
		parts := strings.Split(l, ":")
		if len(parts) != 8 {
			return "", fmt.Errorf("%s: %q is not a binfmt_misc registration", conf, l)
		}
		if _, err := exec.LookPath(parts[6]); err != nil {
			return "", fmt.Errorf("%s: interpreter %s: %w", conf, parts[6], err)
		}
		if !strings.Contains(parts[7], "F") {
			parts[7] += "F"
		}
		return strings.Join(parts, ":"), nil
	}
	return "", fmt.Errorf("%s: no registration line", conf)
}
