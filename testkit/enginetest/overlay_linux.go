package enginetest

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// canOverlay mounts a throw-away overlay below dir and unmounts it: the
// kernel refuses it where the overlay driver would fail (no overlay
// module, a file system that cannot be an upper directory).
func canOverlay(dir string) error {
	base, err := os.MkdirTemp(dir, "overlay-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	var d [4]string
	for i, n := range []string{"lower", "upper", "work", "merged"} {
		d[i] = filepath.Join(base, n)
		if err := os.Mkdir(d[i], 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", d[0], d[1], d[2])
	if err := unix.Mount("overlay", d[3], "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting an overlay in %s: %w", dir, err)
	}
	return unix.Unmount(d[3], 0)
}
