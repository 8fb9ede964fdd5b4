package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	gorootpkg "github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/wincheck"
)

// ModeWindows verifies a Windows image on a host that is not Windows: its
// structure (package wincheck), and its file set by the probes' builds
// cross-compiled with GOOS=windows by the host's toolchain of the same
// release over the image's GOROOT files, compared with the same toolchain
// over the full SDK's. The image's own go.exe and tools are not run: that
// needs a Windows host.
const ModeWindows = "windows"

// WindowsNote is what a Windows verification says it did not prove.
const WindowsNote = "the image's go.exe and tools were not executed: running the Windows toolchain needs a Windows host " +
	"(wine 8 cannot start Go 1.22+ binaries); the file set was proven by this host's toolchain of the same release cross-compiling to it"

// inspectWindows sets up a Windows image's verification: the mode, the
// image's GOROOT (a C:\ path) and the structural check's result.
func (v *verifier) inspectWindows(img v1.Image, rep *Report, labels map[string]string) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	rep.Mode, rep.Target, rep.Host = ModeWindows, rep.Platform, imageref.FormatPlatform(v.host)
	v.target = v1.Platform{OS: cf.OS, Architecture: cf.Architecture}
	v.goroot = v.opts.goroot
	if v.goroot == "" {
		v.goroot = gorootpkg.DefaultWindowsImagePath
		if g := labels[imageconfig.LabelGOROOT]; gorootpkg.IsWindowsPath(g) {
			v.goroot = g
		}
	}
	c, err := gorootpkg.CleanWindowsImagePath(v.goroot)
	if err != nil {
		return fmt.Errorf("GOROOT of a Windows image: %w", err)
	}
	v.goroot, rep.GOROOT = c, c
	res, err := wincheck.Image(img, wincheck.Options{Fast: true})
	if err != nil {
		return fmt.Errorf("the Windows image's structure: %w", err)
	}
	rep.Structure = fmt.Sprintf("passed (package wincheck: %d layers, %d entries below Files/ and Hives/, each with its security descriptor; os.version %s; go.exe and the tools at %s; go-containerregistry validate)",
		res.Layers, res.Entries, res.OSVersion, res.GOROOT)
	rep.Note = WindowsNote
	return nil
}

// windowsLayerRoot is the image GOROOT's path in its layers, for
// sdk.ExtractGOROOT: "/Files/Program Files/Go".
func windowsLayerRoot(goroot string) string { return "/" + gorootpkg.LayerDir(goroot) }

// hostToolchain puts, next to each Windows command and tool of the
// extracted GOROOT at dir (bin/go.exe, pkg/tool/windows_amd64/vet.exe),
// the host SDK's of the same release (bin/go, pkg/tool/linux_amd64/vet),
// so that the host runs the image's file set: a tool the image lacks stays
// missing. The sources, pkg/include and the rest are the image's own.
func hostToolchain(dir, hostSDK string, target, host v1.Platform) error {
	pairs := [][2]string{{"bin", "bin"}, {
		filepath.Join("pkg", "tool", target.OS+"_"+target.Architecture),
		filepath.Join("pkg", "tool", host.OS+"_"+host.Architecture),
	}}
	for _, p := range pairs {
		es, err := os.ReadDir(filepath.Join(dir, p[0]))
		if err != nil {
			return fmt.Errorf("reading the image's %s: %w", p[0], err)
		}
		if err := os.MkdirAll(filepath.Join(dir, p[1]), 0o755); err != nil {
			return err
		}
		for _, e := range es {
			name, ok := strings.CutSuffix(e.Name(), ".exe")
			if !ok {
				continue
			}
			if err := copyExecutable(filepath.Join(hostSDK, p[1], name), filepath.Join(dir, p[1], name)); err != nil {
				return fmt.Errorf("putting this host's %s next to the image's %s: %w", name, e.Name(), err)
			}
		}
	}
	return nil
}

// windowsToolchain gives the extracted Windows GOROOT the host's
// toolchain of its release (hostToolchain), from the reference SDK.
func (v *verifier) windowsToolchain(ctx context.Context, rep *Report, t *tree) error {
	full, err := v.fullSDK(ctx, rep)
	if err != nil {
		return err
	}
	v.logf("verify: running the image's file set with the %s toolchain of %s (the image's .exe files cannot run here)", rep.Host, rep.GoVersion)
	return hostToolchain(t.goroot, full.Dir, v.target, v.host)
}

// copyExecutable links src to dst, or copies it (mode 0755) when a link
// cannot be made (another file system).
func copyExecutable(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}
