package warmcache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/hostrun"
	"github.com/gorootimg/gorootimg/internal/sandbox"
)

// WarmImage warms the build cache of img, an image of platform p whose
// time is t: after CheckHost, img is unpacked below dir (keeping its
// files' times) and Warm runs its own go command there with its config's
// Env. The result's entries name files below dir: keep dir until they are
// written, then remove it.
func WarmImage(ctx context.Context, img v1.Image, p v1.Platform, t time.Time, dir string, list []Variant, opts ...Option) (*Result, error) {
	plat := p.OS + "/" + p.Architecture
	if err := CheckHost(p); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, err
	}
	if err := sandbox.ExtractImage(ctx, img, root); err != nil {
		return nil, fmt.Errorf("warming the build cache for %s: unpacking the image: %w", plat, err)
	}
	res, err := Warm(ctx, Image{Root: root, Env: cf.Config.Env, Time: t}, list, opts...)
	if err != nil {
		return nil, fmt.Errorf("warming the build cache for %s: %w", plat, err)
	}
	return res, nil
}

// CheckHost says why this host cannot run the go command of an image of
// platform p, or nil: the sandbox needs root, and a foreign architecture a
// binfmt_misc handler (such as qemu-user's, internal/hostrun) with the F
// flag, whose interpreter runs inside the image's chroot.
func CheckHost(p v1.Platform) error {
	plat := p.OS + "/" + p.Architecture
	if os.Geteuid() != 0 {
		return fmt.Errorf("--warm-cache for %s: building the cache runs the image's go command in a chroot sandbox, which needs root; run as root or build without --warm-cache", plat)
	}
	if p.OS != "linux" {
		return fmt.Errorf("--warm-cache for %s: only linux images can be warmed", plat)
	}
	h, err := hostrun.Check(p.OS, p.Architecture)
	if err != nil {
		return fmt.Errorf("--warm-cache for %s: %w (or build the cache on a %s machine)", plat, err, p.Architecture)
	}
	if h != nil && !h.Fixed() {
		return fmt.Errorf("--warm-cache for %s: %s lacks the F flag, so its interpreter cannot run inside the image's chroot: register it with F (docs/diff-verify.md)", plat, h)
	}
	return nil
}
