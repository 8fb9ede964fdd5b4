package sdk

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"go/version"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// releaseRE matches the --go values that name a release: 1.22, 1.22.12,
// go1.22.12, 1.23rc1, go1.23.0.
// Numbers have no leading zeros ("1.01" is not a Go version).
var releaseRE = regexp.MustCompile(`^(?:go)?(1\.(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?(?:(?:rc|beta)[1-9][0-9]*)?)$`)

// parseRelease returns the Go version ("go1.22.12") a --go value names, and
// whether it names a line ("1.22") rather than one release.
func parseRelease(spec string) (goVersion string, line bool, ok bool) {
	m := releaseRE.FindStringSubmatch(spec)
	if m == nil {
		return "", false, false
	}
	v := "go" + m[1]
	return v, strings.Count(m[1], ".") == 1 && !strings.ContainsAny(m[1], "rb"), true
}

// toolchainVersion is the golang.org/toolchain version of a release.
func toolchainVersion(goVersion string, p v1.Platform) string {
	return "v0.0.1-" + goVersion + "." + p.OS + "-" + p.Architecture
}

// parseToolchainVersion splits "v0.0.1-go1.22.12.linux-amd64".
func parseToolchainVersion(v string) (goVersion string, p v1.Platform, ok bool) {
	rest, ok := strings.CutPrefix(v, "v0.0.1-")
	if !ok {
		return "", v1.Platform{}, false
	}
	i := strings.LastIndex(rest, ".")
	if i < 0 {
		return "", v1.Platform{}, false
	}
	goos, goarch, ok := strings.Cut(rest[i+1:], "-")
	if !ok || goos == "" || goarch == "" || !version.IsValid(rest[:i]) {
		return "", v1.Platform{}, false
	}
	return rest[:i], v1.Platform{OS: goos, Architecture: goarch}, true
}

// releases is the proxy's version list, by Go version.
type releases map[string][]v1.Platform

func parseList(data []byte) releases {
	r := releases{}
	for _, l := range strings.Fields(string(data)) {
		if v, p, ok := parseToolchainVersion(l); ok {
			r[v] = append(r[v], p)
		}
	}
	return r
}

func (r releases) serves(v string, p v1.Platform) bool {
	for _, q := range r[v] {
		if q.Equals(p) {
			return true
		}
	}
	return false
}

func (r releases) platforms(v string) string {
	var s []string
	for _, p := range r[v] {
		s = append(s, p.String())
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// newest returns the newest final release in line ("go1.22") served for
// every platform in ps (any platform when ps is empty).
func (r releases) newest(line string, ps []v1.Platform) string {
	best := ""
	for v := range r {
		if version.Lang(v) != line || !isFinal(v) {
			continue
		}
		all := true
		for _, p := range ps {
			all = all && r.serves(v, p)
		}
		if all && (best == "" || version.Compare(v, best) > 0) {
			best = v
		}
	}
	return best
}

func isFinal(v string) bool { return !strings.Contains(v, "rc") && !strings.Contains(v, "beta") }

func (r releases) newestAny() string {
	best := ""
	for v := range r {
		if isFinal(v) && (best == "" || version.Compare(v, best) > 0) {
			best = v
		}
	}
	return best
}

// choose picks the release a --go value means for the platforms, with the
// messages users get when there is none.
func (r releases) choose(spec, goVersion string, line bool, ps []v1.Platform) (string, error) {
	lang := version.Lang(goVersion)
	if line {
		if v := r.newest(lang, ps); v != "" {
			return v, nil
		}
		if v := r.newest(lang, nil); v != "" {
			return "", fmt.Errorf("no %s release is served for %s; %s is served for %s", strings.TrimPrefix(lang, "go"), platformList(ps), v, r.platforms(v))
		}
		return "", fmt.Errorf("no Go release %s; newest is %s", strings.TrimPrefix(lang, "go"), strings.TrimPrefix(r.newestAny(), "go"))
	}
	if len(r[goVersion]) == 0 {
		if v := r.newest(lang, nil); v != "" {
			return "", fmt.Errorf("no Go release %s; newest %s is %s", strings.TrimPrefix(goVersion, "go"), strings.TrimPrefix(lang, "go"), strings.TrimPrefix(v, "go"))
		}
		return "", fmt.Errorf("no Go release %s; newest is %s", strings.TrimPrefix(goVersion, "go"), strings.TrimPrefix(r.newestAny(), "go"))
	}
	for _, p := range ps {
		if !r.serves(goVersion, p) {
			return "", fmt.Errorf("%s is not served for %s; it is served for %s", goVersion, p, r.platforms(goVersion))
		}
	}
	return goVersion, nil
}

func platformList(ps []v1.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}

// releaseSource fetches releases from the module proxy.
type releaseSource struct {
	opts  *Options
	cache *cache
	proxy *proxyClient // nil when GOPROXY does not allow fetching
	perr  error        // why proxy is nil
}

// resolveRelease returns one SDK per platform for a release spec.
func (s *releaseSource) resolve(ctx context.Context, spec, goVersion string, line bool, ps []v1.Platform) ([]*SDK, error) {
	if !line {
		// An exact release already in the cache needs no network at all.
		if sdks, ok := s.fromCache(goVersion, ps); ok {
			return sdks, nil
		}
	}
	// Configuration mistakes first, before any network traffic.
	if s.proxy != nil && s.proxy.entries[0].url != "off" {
		if _, err := parseGOSUMDB(s.opts.GOSUMDB, s.opts.KnownSumDBKeys); err != nil {
			return nil, err
		}
	}
	list, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	v, err := list.choose(spec, goVersion, line, ps)
	if err != nil {
		return nil, &SourceError{Spec: spec, Err: err}
	}
	var out []*SDK
	for _, p := range ps {
		sdk, err := s.fetch(ctx, toolchainVersion(v, p))
		if err != nil {
			return nil, err
		}
		out = append(out, sdk)
	}
	return out, nil
}

func (s *releaseSource) fromCache(goVersion string, ps []v1.Platform) ([]*SDK, bool) {
	var out []*SDK
	for _, p := range ps {
		sdk, ok := s.cached(toolchainVersion(goVersion, p))
		if !ok {
			return nil, false
		}
		out = append(out, sdk)
	}
	return out, true
}

func (s *releaseSource) cached(tv string) (*SDK, bool) {
	h := s.cache.readIndex("toolchain/" + tv)
	if h == "" {
		return nil, false
	}
	key := contentKey(h)
	if !s.cache.haveTree(key) {
		return nil, false
	}
	sdk, err := Open(s.cache.treeDir(key))
	if err != nil {
		return nil, false
	}
	sdk.Source, sdk.Hash = toolchainModule+"@"+tv, h
	return sdk, true
}

// list fetches the proxy's version list, falling back to the cached copy
// (with a note) when the proxy cannot be reached.
func (s *releaseSource) list(ctx context.Context) (releases, error) {
	var err error
	if s.proxy != nil {
		var data []byte
		data, err = s.proxy.getBytes(ctx, modPath()+"/@v/list", "the "+toolchainModule+" version list")
		if err == nil {
			s.cache.writeIndex("list", strings.TrimSpace(string(data)))
			return parseList(data), nil
		}
	} else {
		err = s.perr
	}
	if cached := s.cache.readIndex("list"); cached != "" && ctx.Err() == nil {
		s.opts.logf("note: using the cached %s version list: %v", toolchainModule, err)
		return parseList([]byte(cached)), nil
	}
	return nil, err
}

// fetch downloads, verifies and installs golang.org/toolchain@tv.
func (s *releaseSource) fetch(ctx context.Context, tv string) (*SDK, error) {
	if sdk, ok := s.cached(tv); ok {
		return sdk, nil
	}
	if s.proxy == nil {
		return nil, s.perr
	}
	mv := toolchainModule + "@" + tv
	if s.proxy.entries[0].url == "off" {
		return nil, fmt.Errorf("fetching %s: it is not in the cache and %w", mv, errOff)
	}
	cfg, err := parseGOSUMDB(s.opts.GOSUMDB, s.opts.KnownSumDBKeys)
	if err != nil {
		return nil, err
	}
	want, err := lookupHash(ctx, cfg, s.proxy, s.cache.dir, tv)
	if err != nil {
		return nil, err
	}
	key := contentKey(want)
	dir, err := s.cache.install(ctx, key, mv, func(root string) error {
		f, err := s.cache.tempFile(key + ".*.zip")
		if err != nil {
			return err
		}
		defer func() { f.Close(); os.Remove(f.Name()) }()
		s.opts.logf("downloading %s", mv)
		ev, _ := module.EscapeVersion(tv)
		if err := s.proxy.get(ctx, modPath()+"/@v/"+ev+".zip", mv, f); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("writing %s: %w", mv, err)
		}
		got, err := dirhash.HashZip(f.Name(), dirhash.Hash1)
		if err != nil {
			return fmt.Errorf("verifying %s: the downloaded zip is corrupt: %w", mv, err)
		}
		if got != want {
			return fmt.Errorf("verifying %s: SECURITY ERROR: the zip's hash %s does not match the checksum database's %s", mv, got, want)
		}
		if err := extractModuleZip(ctx, f.Name(), tv, root, s.opts.MaxSize); err != nil {
			return err
		}
		// Refuse a zip whose tree is another release before it is cached.
		if goVersion, p, ok := parseToolchainVersion(tv); ok {
			if got, err := Open(root); err == nil && (got.Version != goVersion || !got.Platform().Equals(p)) {
				return fmt.Errorf("%s holds %s %s, not what its version says", mv, got.Version, got.Platform())
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.cache.writeIndex("toolchain/"+tv, want); err != nil {
		return nil, fmt.Errorf("recording %s in the cache: %w", mv, err)
	}
	sdk, err := Open(dir)
	if err != nil {
		return nil, err
	}
	sdk.Source, sdk.Hash = mv, want
	if goVersion, p, ok := parseToolchainVersion(tv); ok && (sdk.Version != goVersion || !sdk.Platform().Equals(p)) {
		return nil, fmt.Errorf("%s holds %s %s, not what its version says", mv, sdk.Version, sdk.Platform())
	}
	return sdk, nil
}

// extractModuleZip writes the files of a golang.org/toolchain module zip
// (all below "golang.org/toolchain@VERSION/") into root.
func extractModuleZip(ctx context.Context, file, tv, root string, maxSize int64) error {
	mv := module.Version{Path: toolchainModule, Version: tv}
	if _, err := modzip.CheckZip(mv, file); err != nil {
		return fmt.Errorf("checking %s@%s zip: %w", mv.Path, tv, err)
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		return fmt.Errorf("opening %s@%s zip: %w", mv.Path, tv, err)
	}
	defer zr.Close()
	if err := checkLocalNames(file, zr.File); err != nil {
		return fmt.Errorf("checking %s@%s zip: %w", mv.Path, tv, err)
	}
	prefix := mv.Path + "@" + tv + "/"
	t := newTree(root)
	if fi, err := os.Stat(file); err == nil {
		t.limit = sizeLimit(maxSize, fi.Size())
	}
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		sub, ok := strings.CutPrefix(zf.Name, prefix)
		if !ok || sub == "" {
			return fmt.Errorf("zip entry %q is outside %s", zf.Name, prefix)
		}
		if err := checkName(sub); err != nil {
			return fmt.Errorf("zip %w", err)
		}
		if strings.HasSuffix(sub, "/") {
			continue
		}
		name := path.Clean(sub)
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("reading zip entry %q: %w", zf.Name, err)
		}
		err = t.file(zf.Name, name, 0o644, io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		if cerr := rc.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("extracting zip entry %q: %w", zf.Name, err)
		}
	}
	return nil
}

// checkLocalNames refuses a zip whose local file headers name other files
// than its central directory. archive/zip reads only the central names and
// other unzip tools the local ones, so the two would see different trees.
func checkLocalNames(file string, files []*zip.File) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, zf := range files {
		off, err := zf.DataOffset()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", zf.Name, err)
		}
		local, err := localName(f, off, len(zf.Name))
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", zf.Name, err)
		}
		if local != zf.Name {
			return fmt.Errorf("zip entry %q is named %q in its local header: the central directory and the local headers disagree", zf.Name, local)
		}
	}
	return nil
}

// localName finds the local file header that ends where a file's data
// starts (at off) and returns the name it gives. The header is 30 bytes,
// the name and an extra field; it looks first in a window sized for a
// name of the central length and a short extra field, then in the widest.
func localName(f *os.File, off int64, nameLen int) (string, error) {
	for _, w := range []int64{int64(30 + nameLen + 256), 30 + 2*65535} {
		w = min(w, off)
		buf := make([]byte, w)
		if _, err := f.ReadAt(buf, off-w); err != nil {
			return "", err
		}
		for h := w - 30; h >= 0; h-- {
			if string(buf[h:h+4]) != "PK\x03\x04" {
				continue
			}
			n := int64(buf[h+26]) | int64(buf[h+27])<<8
			m := int64(buf[h+28]) | int64(buf[h+29])<<8
			if h+30+n+m == w {
				return string(buf[h+30 : h+30+n]), nil
			}
		}
	}
	return "", errors.New("no local file header before its data")
}
