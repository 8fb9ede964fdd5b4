package sdk

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
)

// Options configures Resolve. Callers (cmd/gorootimg) fill it from the
// environment, with EnvOptions; this package never reads the environment
// itself.
type Options struct {
	// CacheDir is the download cache (DefaultCacheDir: GOROOTIMG_CACHE,
	// else the user cache directory/gorootimg). Required for every source
	// but a local directory.
	CacheDir string
	// GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE as the go
	// command reads them. GONOSUMDB and GOINSECURE cannot turn off
	// verification of Go releases, as with the go command.
	GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE string
	// KnownSumDBKeys maps checksum database names to verifier keys, for a
	// GOSUMDB that gives only a name (see ParseKnownSumDBKeys).
	KnownSumDBKeys map[string]string
	// LocalGOROOT is the GOROOT of the go command on PATH, for --go local;
	// empty when there is none.
	LocalGOROOT string
	// SHA256 is the expected checksum of a release archive (--sha256).
	SHA256 string
	// ImageGOROOT is where the SDK lives inside an image ("/usr/local/go").
	ImageGOROOT string
	// ImageOptions configure loading image:REF and oci:DIR sources.
	ImageOptions []imageref.Option
	// MaxSize is the most bytes an SDK tree may unpack to; past it the
	// source is refused as a decompression bomb. 0 derives the limit from
	// the source's compressed size (at least DefaultMaxSize).
	MaxSize int64
	// HTTPClient is used for the proxy and checksum database; nil = default.
	HTTPClient *http.Client
	// StallTimeout aborts a proxy or checksum database response that
	// delivers no data for this long; 0 means one minute.
	StallTimeout time.Duration
	// Logf receives progress and notes (downloads, an offline fallback);
	// nil discards them. cmd sends them to stderr.
	Logf func(format string, args ...any)
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Resolve returns one normalised SDK per platform for a --go value:
// a release ("1.22.12", "go1.22.12", "1.22"), "local" or a GOROOT
// directory, a release archive (*.tar.gz), "image:REF" or "oci:DIR[:TAG]".
// A local directory or archive serves only its own platform.
//
// A mistake in spec itself (it names no kind of source, a file that is
// not there, a release that does not exist) is a *SourceError; an archive
// whose checksum is not opts.SHA256 is a *ChecksumError.
func Resolve(ctx context.Context, spec string, platforms []v1.Platform, opts Options) ([]*SDK, error) {
	spec = strings.TrimSpace(spec)
	if len(platforms) == 0 {
		platforms = []v1.Platform{imageref.HostPlatform()}
	}
	if opts.SHA256 != "" && !isArchive(spec) {
		return nil, &SourceError{Spec: spec, Err: ErrChecksumNotArchive}
	}
	switch {
	case spec == "" || spec == "local":
		if opts.LocalGOROOT == "" {
			return nil, &SourceError{Spec: "local", Err: ErrNoLocalGo}
		}
		return resolveLocal(opts.LocalGOROOT, platforms)
	case strings.HasPrefix(spec, "image:") || strings.HasPrefix(spec, "oci:") || strings.HasPrefix(spec, "tarball:"):
		return resolveImage(ctx, spec, platforms, &opts)
	}
	if goVersion, line, ok := parseRelease(spec); ok {
		c, err := newCache(opts.CacheDir)
		if err != nil {
			return nil, err
		}
		rs := &releaseSource{opts: &opts, cache: c}
		rs.proxy, rs.perr = newProxyClient(&opts)
		return rs.resolve(ctx, spec, goVersion, line, platforms)
	}
	fi, err := os.Stat(spec)
	switch {
	case err == nil && fi.IsDir():
		return resolveLocal(spec, platforms)
	case err == nil && isArchive(spec):
		return resolveArchive(ctx, spec, platforms, &opts)
	case err != nil && (isArchive(spec) || isPathSpec(spec, runtime.GOOS)):
		return nil, &SourceError{Spec: spec, Err: err}
	}
	return nil, &SourceError{Spec: spec, Err: ErrUnknownSource}
}

func isArchive(spec string) bool {
	return strings.HasSuffix(spec, ".tar.gz") || strings.HasSuffix(spec, ".tgz")
}

// onlyOwnPlatform fails unless every requested platform is the SDK's own.
func onlyOwnPlatform(what string, s *SDK, platforms []v1.Platform) error {
	for _, p := range platforms {
		if !p.Equals(s.Platform()) {
			return fmt.Errorf("%s is a %s SDK and serves only that platform, not %s; use a release (such as 1.22.12) to build for other platforms", what, s.Platform(), p)
		}
	}
	return nil
}

func resolveLocal(dir string, platforms []v1.Platform) ([]*SDK, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s, err := Open(abs)
	if err != nil {
		return nil, err
	}
	if err := onlyOwnPlatform(abs, s, platforms); err != nil {
		return nil, err
	}
	s.Source = "local:" + abs
	return []*SDK{s}, nil
}

// resolveArchive checks and extracts a release archive such as
// go1.22.5.linux-amd64.tar.gz, whose entries all lie below go/.
func resolveArchive(ctx context.Context, file string, platforms []v1.Platform, opts *Options) ([]*SDK, error) {
	sum, err := sha256File(file)
	if err != nil {
		return nil, err
	}
	if want := strings.ToLower(strings.TrimPrefix(opts.SHA256, "sha256:")); want != "" && want != sum {
		return nil, &ChecksumError{File: file, Got: sum, Want: want}
	}
	c, err := newCache(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	key := contentKey("sha256:" + sum)
	dir, err := c.install(ctx, key, file, func(root string) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		t := newTree(root)
		if fi, err := f.Stat(); err == nil {
			t.limit = sizeLimit(opts.MaxSize, fi.Size())
		}
		if err := applyTar(ctx, t, zr, "go", true, false); err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		return checkArchiveName(file, root)
	})
	if err != nil {
		return nil, err
	}
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if err := onlyOwnPlatform(file, s, platforms); err != nil {
		return nil, err
	}
	s.Source, s.Hash = "archive:"+filepath.Base(file), "sha256:"+sum
	return []*SDK{s}, nil
}

// checkArchiveName refuses an archive named like a release
// ("go1.22.12.linux-amd64.tar.gz") whose tree is another release or
// platform, before it reaches the cache.
func checkArchiveName(file, root string) error {
	base := filepath.Base(file)
	rest, ok := strings.CutSuffix(base, ".tar.gz")
	if !ok || !strings.HasPrefix(rest, "go1") {
		return nil
	}
	i := strings.LastIndex(rest, ".")
	if i < 0 {
		return nil
	}
	goos, goarch, ok := strings.Cut(rest[i+1:], "-")
	if !ok {
		return nil
	}
	s, err := Open(root)
	if err != nil {
		return nil // install reports it, naming the source
	}
	if s.Version != rest[:i] || s.GOOS != goos || s.GOARCH != goarch {
		return fmt.Errorf("%s holds %s %s, not what its name says (VERSION or pkg/tool lies, or the file was renamed)", file, s.Version, imageref.FormatPlatform(s.Platform()))
	}
	return nil
}

func sha256File(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", file, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// resolveImage extracts the GOROOT of an image for each platform.
func resolveImage(ctx context.Context, spec string, platforms []v1.Platform, opts *Options) ([]*SDK, error) {
	gorootPath := opts.ImageGOROOT
	if gorootPath == "" {
		gorootPath = goroot.DefaultImagePath
	}
	c, err := newCache(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	ref, err := imageref.Load(ctx, spec, opts.ImageOptions...)
	if err != nil {
		return nil, err
	}
	if ref.IsScratch() {
		return nil, &SourceError{Spec: ref.Name, Err: ErrScratch}
	}
	var out []*SDK
	for _, p := range platforms {
		img, err := ref.Image(p)
		if err != nil {
			return nil, err
		}
		dg, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		gp, layerPath := imageGOROOT(gorootPath, p)
		key := contentKey(dg.String(), cleanName(layerPath))
		what := fmt.Sprintf("%s in %s (%s)", gp, ref.Name, p)
		dir, err := c.install(ctx, key, what, func(root string) error {
			opts.logf("extracting %s", what)
			if err := ExtractGOROOT(ctx, img, layerPath, root); err != nil {
				return fmt.Errorf("extracting %s from %s: %w", gp, ref.Name, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		s, err := Open(dir)
		if err != nil {
			return nil, err
		}
		if !s.Platform().Equals(p) {
			return nil, fmt.Errorf("the %s image of %s holds a %s SDK at %s", p, ref.Name, s.Platform(), gp)
		}
		s.Source, s.Hash = ref.Name+"@"+dg.String(), dg.String()
		out = append(out, s)
	}
	return out, nil
}

// imageGOROOT is the GOROOT of a platform's image as an image SDK source
// names it, and its path in the image's layers: for a Windows image, the
// C:\ path (given, else goroot.DefaultWindowsImagePath) below Files/.
func imageGOROOT(gorootPath string, p v1.Platform) (name, layerPath string) {
	if p.OS != "windows" {
		return gorootPath, gorootPath
	}
	if !goroot.IsWindowsPath(gorootPath) {
		gorootPath = goroot.DefaultWindowsImagePath
	}
	return gorootPath, "/" + goroot.LayerDir(gorootPath)
}
