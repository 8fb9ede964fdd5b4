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
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/sdk"
)

// cacheprogGroup is the layer group of the GOCACHEPROG helper.
const cacheprogGroup = "cacheprog"

// HostSDKFunc returns an SDK of release version ("go1.26.11") that runs on
// this host, to build the GOCACHEPROG helper for an image of another
// platform (see Options.HostSDK).
type HostSDKFunc func(ctx context.Context, version string) (*sdk.SDK, error)

// cacheprogLayer writes (or finds in the cache) the layer of the
// GOCACHEPROG helper (package cacheprog) built with pl's Go release, and
// GOCACHE's 256 subdirectories, which the go command only makes when it
// can, so that a read-only root keeps the warm cache. It returns nil and
// a note when the release predates GOCACHEPROG or no SDK of it runs here.
func cacheprogLayer(ctx context.Context, st *store, o Options, pl *platformLayers) (*namedLayer, string, error) {
	if !cacheprog.Supported(pl.sdk.Version) {
		return nil, fmt.Sprintf("%s predates GOCACHEPROG (Go 1.24): a read-only root needs GOCACHE on a writable mount, and the warm cache is then unused", pl.sdk.Version), nil
	}
	plat := imageref.FormatPlatform(pl.platform)
	// A warm image's warm layer has GOCACHE's subdirectories, and the warm
	// step wants GOCACHE empty.
	dirs := len(o.WarmCache) == 0
	key := layerstore.HashLines(cacheVersion, "layer "+cacheprogGroup, "source "+cacheprog.SourceHash(),
		"release "+pl.sdk.Version, "platform "+plat, "gocache "+rootfs.GOCACHE, fmt.Sprintf("dirs %v", dirs),
		"compression "+o.compressionSettings(), fmt.Sprintf("mtime %d", pl.mtime.Unix()))
	j := &layerJob{key: key, label: cacheprogGroup, platform: plat, mtime: pl.mtime}
	if l, err := st.getLayer(key, false); err != nil || l != nil {
		if l == nil {
			return nil, "", err
		}
		o.progress(Event{Platform: plat, Layer: cacheprogGroup, Done: l.UncompressedSize, Total: l.UncompressedSize, Finished: true, Cached: true})
		return &namedLayer{Group: cacheprogGroup, Layer: l, Cached: true}, "", nil
	}
	if !isGoBinary(pl.sdk.Dir, pl.sdk.GOOS, pl.sdk.GOARCH) {
		return nil, fmt.Sprintf("the SDK's bin/go is no %s executable: no GOCACHEPROG helper", plat), nil
	}
	goroot := pl.sdk.Dir
	if pl.sdk.GOOS != runtime.GOOS || pl.sdk.GOARCH != runtime.GOARCH {
		if o.HostSDK == nil {
			return nil, fmt.Sprintf("no %s SDK for %s/%s was given to build the GOCACHEPROG helper: the image does not keep its warm cache under a read-only root", pl.sdk.Version, runtime.GOOS, runtime.GOARCH), nil
		}
		host, err := o.HostSDK(ctx, pl.sdk.Version)
		if err != nil {
			return nil, "", fmt.Errorf("fetching the %s SDK for this host to build the GOCACHEPROG helper: %w", pl.sdk.Version, err)
		}
		goroot = host.Dir
	}
	dir, err := st.WorkDir("cacheprog-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gocacheprog")
	o.logf("%s: building the GOCACHEPROG helper with %s", plat, pl.sdk.Version)
	if err := cacheprog.Build(ctx, goroot, pl.sdk.GOOS, pl.sdk.GOARCH, bin, "", nil); err != nil {
		return nil, "", err
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, "", err
	}
	j.group = layers.Group{Name: cacheprogGroup, Entries: cacheprogEntries(bin, fi.Size(), dirs)}
	j.total = fi.Size()
	if err := j.run(ctx, o, st); err != nil {
		return nil, "", err
	}
	return j.done, "", nil
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

// cacheprogEntries are the helper at cacheprog.ImagePath and, with dirs,
// GOCACHE's 256 subdirectories, 1777 as the warm layer has them.
func cacheprogEntries(bin string, size int64, dirs bool) []layers.Entry {
	var out []layers.Entry
	p := strings.TrimPrefix(cacheprog.ImagePath, "/")
	var parents []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		parents = append([]string{d}, parents...)
	}
	for _, d := range parents {
		out = append(out, layers.Entry{Name: d, Mode: fs.ModeDir | 0o755})
	}
	out = append(out, layers.Entry{Name: p, Mode: 0o755, Src: bin, Size: size})
	if !dirs {
		return out
	}
	anyone := fs.ModeDir | fs.ModeSticky | 0o777
	c := strings.TrimPrefix(rootfs.GOCACHE, "/")
	for d := c; d != "."; d = path.Dir(d) {
		out = append(out, layers.Entry{Name: d, Mode: anyone})
	}
	for i := range 256 {
		out = append(out, layers.Entry{Name: fmt.Sprintf("%s/%02x", c, i), Mode: anyone})
	}
	return out
}
