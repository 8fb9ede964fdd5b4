package depcheck

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestCrossBuild builds every package of the module for darwin and
// windows, so a Linux-only call (syscall.MNT_DETACH, say) outside a
// _linux.go file or a build constraint fails here rather than on a user's
// machine. With a warm build cache each build takes about 6 s on two
// cores (12 s both, 27 s cold), past the 10 s a -short test may take, so
// -short skips it.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: two cross builds of the module take 12 s or more (-short)")
	}
	root := moduleRoot(t)
	for _, goos := range []string{"darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			start := time.Now()
			cmd := exec.Command("go", "build", "./...")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s go build ./...: %v\n%s", goos, err, out)
			}
			t.Logf("GOOS=%s go build ./... took %v", goos, time.Since(start).Round(100*time.Millisecond))
		})
	}
}
