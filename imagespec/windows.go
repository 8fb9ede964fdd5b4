package imagespec

import (
	"errors"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
)

// WindowsArchitectures are the architectures of the Windows images
// gorootimg builds.
var WindowsArchitectures = []string{"amd64", "arm64"}

// GOROOTFor is the GOROOT path of an image for goos: r.GOROOT when it is
// of that OS's kind (a drive-letter path for windows, a Unix path for the
// others), else that OS's default, so that one spec makes a Linux and a
// Windows image side by side.
func (r *Resolved) GOROOTFor(goos string) string {
	return GOROOTFor(r.GOROOT, goos)
}

// GOROOTFor is GOROOT path p (empty for the default) as an image for goos
// takes it: see Resolved.GOROOTFor. A Windows path comes back canonical
// (goroot.CleanWindowsImagePath).
func GOROOTFor(p, goos string) string {
	win := goos == "windows"
	switch {
	case win && goroot.IsWindowsPath(p):
		if c, err := goroot.CleanWindowsImagePath(p); err == nil {
			return c
		}
		return p
	case win:
		return goroot.DefaultWindowsImagePath
	case p == "" || goroot.IsWindowsPath(p):
		return DefaultGOROOTPath
	}
	return p
}

// checkPlatforms reports what s cannot give the images of platforms: a
// Windows platform takes no numeric --user and no warm cache (both are
// Linux notions: a uid, and a cache built in a Linux sandbox), and a
// GOROOT path of one OS's kind needs a platform of that kind.
func (s *Spec) checkPlatforms(platforms []v1.Platform) error {
	var win, other bool
	for _, p := range platforms {
		if p.OS != "windows" {
			other = true
			continue
		}
		win = true
		if !slices.Contains(WindowsArchitectures, p.Architecture) {
			return fmt.Errorf("platform %s: Windows images are built for %v", imageref.FormatPlatform(p), WindowsArchitectures)
		}
	}
	if !win {
		if goroot.IsWindowsPath(s.GOROOTPath) {
			return keyErr("goroot-path", fmt.Errorf("%q is a Windows path, and no platform is windows/...: a Linux image takes a path such as %s", s.GOROOTPath, DefaultGOROOTPath))
		}
		return nil
	}
	if b := s.Base; b == "" || b == DefaultBase {
		return keyErr("base", errors.New("a Windows image needs a Windows base (nanoserver or servercore of the ltsc release the hosts run): its layers hold only the Go files, and os.version comes from the base"))
	}
	if s.User != "" {
		return keyErr("user", errors.New("a Windows image runs as its base's account (ContainerUser on nanoserver): a numeric UID has no meaning there; leave it out for windows/... platforms"))
	}
	if len(s.WarmCache) > 0 {
		return keyErr("warm-cache", errors.New("the warm build cache is built by running the image's go in a Linux sandbox, which a Windows image cannot run in; leave it out for windows/... platforms"))
	}
	if p := s.GOROOTPath; p != "" && p != DefaultGOROOTPath && !goroot.IsWindowsPath(p) && !other {
		return keyErr("goroot-path", fmt.Errorf("%q is a Unix path, and every platform is windows/...: want a path on drive C: such as %s", s.GOROOTPath, goroot.DefaultWindowsImagePath))
	}
	return nil
}
