package sdk

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
)

// HostRelease returns the SDK of the Go release goVersion ("go1.26.11")
// for the platform this program runs on, fetched and verified like every
// release (Resolve). Steps that run a Go toolchain of an image's release
// on the host use it: the privilege-free warm-cache build (warmcache), and
// helpers compiled with the image's release for a foreign platform. When
// the host's platform is the image's, it is the image's own SDK. An error
// names the release and the host platform.
func HostRelease(ctx context.Context, goVersion string, opts Options) (*SDK, error) {
	host := imageref.HostPlatform()
	if _, _, ok := parseRelease(goVersion); !ok {
		return nil, fmt.Errorf("fetching the %s SDK of %q: not a Go release", imageref.FormatPlatform(host), goVersion)
	}
	sdks, err := Resolve(ctx, goVersion, []v1.Platform{host}, opts)
	if err != nil {
		return nil, fmt.Errorf("fetching the %s SDK of %s: %w", imageref.FormatPlatform(host), goVersion, err)
	}
	if len(sdks) != 1 {
		return nil, fmt.Errorf("fetching the %s SDK of %s: resolved %d SDKs, want 1", imageref.FormatPlatform(host), goVersion, len(sdks))
	}
	if v := sdks[0].Version; v != goVersion && v != "go"+goVersion {
		return nil, fmt.Errorf("fetching the %s SDK of %s: got %s", imageref.FormatPlatform(host), goVersion, v)
	}
	return sdks[0], nil
}

// HostReleaseFunc returns HostRelease with opts (without opts.SHA256,
// which names the image's archive, not the host's) as a function of the
// release, as assemble.Options.HostSDK takes it.
func HostReleaseFunc(opts Options) func(ctx context.Context, goVersion string) (*SDK, error) {
	opts.SHA256 = ""
	return func(ctx context.Context, goVersion string) (*SDK, error) {
		return HostRelease(ctx, goVersion, opts)
	}
}
