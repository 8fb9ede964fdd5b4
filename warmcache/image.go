package warmcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/hostrun"
	"github.com/gorootimg/gorootimg/internal/sandbox"
)

// WarmImage warms the build cache of img, an image of platform p whose
// time is t, and says in Result.Path how. Where the cache involves no C
// compiler (the image has none, or its Env sets CGO_ENABLED=0) and
// WithHostGOROOT is given, the host's toolchain of the image's release
// builds it for p without privileges or emulation (PathHost). Otherwise,
// after CheckHost, img is unpacked below dir (keeping its files' times)
// and Warm runs its own go command there with its config's Env
// (PathSandbox). The result's entries name files below dir: keep dir
// until they are written, then remove it.
func WarmImage(ctx context.Context, img v1.Image, p v1.Platform, t time.Time, dir string, list []Variant, opts ...Option) (*Result, error) {
	plat := p.OS + "/" + p.Architecture
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	why := "no host toolchain was offered (WithHostGOROOT)"
	if o.hostGOROOT != nil {
		f, err := scanImage(img, cf.Config.Env)
		if err != nil {
			return nil, fmt.Errorf("warming the build cache for %s: %w", plat, err)
		}
		if why = hostReason(f, p, list); why == "" {
			return warmImageHost(ctx, f, p, Image{Env: cf.Config.Env, Time: t}, dir, list, o)
		}
	}
	if err := CheckHost(p); err != nil {
		return nil, fmt.Errorf("%w; the privilege-free path was not taken: %s", err, why)
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

// warmImageHost is WarmImage's privilege-free path.
func warmImageHost(ctx context.Context, f *imageFacts, p v1.Platform, img Image, dir string, list []Variant, o *options) (*Result, error) {
	plat := p.OS + "/" + p.Architecture
	if img.Time.IsZero() {
		return nil, errors.New("warming the build cache: the image time is not set")
	}
	if err := checkEnv(f.env); err != nil {
		return nil, err
	}
	if f.version == "" {
		return nil, fmt.Errorf("warming the build cache for %s: the image has no %s/VERSION", plat, f.env["GOROOT"])
	}
	hostRoot, err := o.hostGOROOT(ctx, f.version)
	if err != nil {
		return nil, fmt.Errorf("warming the build cache for %s: %w", plat, err)
	}
	res, err := warmHost(ctx, f, p, img, hostRoot, dir, list, o)
	if err != nil {
		return nil, fmt.Errorf("warming the build cache for %s (privilege-free, host toolchain %s): %w", plat, hostRoot, err)
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
