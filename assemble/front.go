package assemble

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/hostrun"
	"github.com/gorootimg/gorootimg/internal/layerstore"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

// frontGroup is the layer group of the go front.
const frontGroup = "gofront"

// HostSDKFunc returns an SDK of release version ("go1.26.11") that runs on
// this host, to build the go front for an image of another platform (see
// Options.HostSDK).
type HostSDKFunc func(ctx context.Context, version string) (*sdk.SDK, error)

// frontLayer writes (or finds in the cache) the layer of the go front
// (package cacheprog) built with pl's Go release, so that a read-only root
// keeps the warm cache. It returns nil and a note when no front can be
// built: an image for another OS than Linux, or no SDK of the release
// that runs here.
func frontLayer(ctx context.Context, st *store, o Options, pl *platformLayers) (*namedLayer, string, error) {
	plat := imageref.FormatPlatform(pl.platform)
	key := layerstore.HashLines(cacheVersion, "layer "+frontGroup, "source "+cacheprog.SourceHash(),
		"release "+pl.sdk.Version, "platform "+plat, "path "+cacheprog.ImagePath,
		"compression "+o.compressionSettings(), fmt.Sprintf("mtime %d", pl.mtime.Unix()))
	j := &layerJob{key: key, label: frontGroup, platform: plat, mtime: pl.mtime}
	if l, err := st.getLayer(key, false); err != nil || l != nil {
		if l == nil {
			return nil, "", err
		}
		o.progress(Event{Platform: plat, Layer: frontGroup, Done: l.UncompressedSize, Total: l.UncompressedSize, Finished: true, Cached: true})
		return &namedLayer{Group: frontGroup, Layer: l, Cached: true}, "", nil
	}
	dir, err := st.WorkDir("gofront-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin, note, err := buildFront(ctx, pl.sdk, o.HostSDK, dir, o.logf)
	if bin == "" {
		return nil, note, err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, "", err
	}
	j.group = layers.Group{Name: frontGroup, Entries: frontEntries(bin, fi.Size())}
	j.total = fi.Size()
	if err := j.run(ctx, o, st); err != nil {
		return nil, "", err
	}
	return j.done, "", nil
}

// buildFront compiles the go front for s's image into dir and returns
// its path. It returns "" and a note when the image gets no front: an
// image for another OS than Linux, an SDK whose bin/go is not a real
// executable of its platform, or a foreign platform with no host SDK of
// the release to compile with.
func buildFront(ctx context.Context, s *sdk.SDK, host HostSDKFunc, dir string, logf func(string, ...any)) (string, string, error) {
	plat := imageref.FormatPlatform(s.Platform())
	if s.GOOS != "linux" {
		return "", fmt.Sprintf("%s: no go front (Linux images only): a read-only root needs GOCACHE on a writable mount", plat), nil
	}
	if !isGoBinary(s.Dir, s.GOOS, s.GOARCH) {
		return "", fmt.Sprintf("the SDK's bin/go is no %s executable: no go front", plat), nil
	}
	goroot := s.Dir
	if s.GOOS != runtime.GOOS || s.GOARCH != runtime.GOARCH {
		if host == nil {
			return "", fmt.Sprintf("no %s SDK for %s/%s was given to build the go front: the image does not keep its warm cache under a read-only root", s.Version, runtime.GOOS, runtime.GOARCH), nil
		}
		h, err := host(ctx, s.Version)
		if err != nil {
			return "", "", fmt.Errorf("fetching the %s SDK for this host to build the go front: %w", s.Version, err)
		}
		goroot = h.Dir
	}
	bin := filepath.Join(dir, "go")
	logf("%s: building the go front with %s", plat, s.Version)
	if err := cacheprog.Build(ctx, goroot, s.GOOS, s.GOARCH, bin, "", nil); err != nil {
		return "", "", err
	}
	return bin, "", nil
}

// Front returns the go front for s's image, as gorootimg build lays it at
// cacheprog.ImagePath, for gorootimg llb; nil and a note when the image
// gets none (buildFront). host, when not nil, gives the SDK of the
// release for this host that compiles the front of a foreign platform.
func Front(ctx context.Context, s *sdk.SDK, host HostSDKFunc, logf func(string, ...any)) ([]byte, string, error) {
	dir, err := os.MkdirTemp("", "gorootimg-gofront-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin, note, err := buildFront(ctx, s, host, dir, logf)
	if bin == "" {
		return nil, note, err
	}
	b, err := os.ReadFile(bin)
	return b, "", err
}

// isGoBinary reports whether goroot/bin/go is an executable of goos/goarch,
// as a real SDK's is (tests use SDKs whose go is a text file).
func isGoBinary(goroot, goos, goarch string) bool {
	want := hostrun.ELFHeader(goos, goarch)
	head, err := hostrun.FileHead(filepath.Join(goroot, "bin", "go"))
	// The ident and the machine; the type may be ET_EXEC or ET_DYN (PIE).
	return err == nil && want != nil && len(head) >= len(want) &&
		bytes.Equal(head[:16], want[:16]) && bytes.Equal(head[18:20], want[18:20])
}

// frontEntries are the front at cacheprog.ImagePath and its parent
// directories.
func frontEntries(bin string, size int64) []layers.Entry {
	var out []layers.Entry
	p := strings.TrimPrefix(cacheprog.ImagePath, "/")
	var parents []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		parents = append([]string{d}, parents...)
	}
	for _, d := range parents {
		out = append(out, layers.Entry{Name: d, Mode: fs.ModeDir | 0o755})
	}
	return append(out, layers.Entry{Name: p, Mode: 0o755, Src: bin, Size: size})
}
