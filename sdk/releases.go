package sdk

import (
	"context"
	"fmt"
	"go/version"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SupportedLines is how many minor lines the Go project supports at once:
// the newest and the one before it.
const SupportedLines = 2

// Release is one Go release the module proxy serves as golang.org/toolchain.
type Release struct {
	// Version is the Go version, "go1.26.1" or "go1.27rc1".
	Version string `json:"version"`
	// Platforms are those the proxy serves the release for, sorted by OS
	// then architecture. They carry no variant.
	Platforms []v1.Platform `json:"platforms"`
	// Supported is true for the final releases of the SupportedLines newest
	// minor lines that have a final release. Prereleases are never supported.
	Supported bool `json:"supported"`
}

// Line is the release's minor line, "go1.26".
func (r *Release) Line() string { return version.Lang(r.Version) }

// Final reports whether the release is not a release candidate or beta.
func (r *Release) Final() bool { return isFinal(r.Version) }

// Serves reports whether the proxy serves the release for p. A variant in
// p is ignored: Go has one SDK for every variant of an architecture.
func (r *Release) Serves(p v1.Platform) bool {
	return slices.ContainsFunc(r.Platforms, func(q v1.Platform) bool {
		return q.OS == p.OS && q.Architecture == p.Architecture
	})
}

// ListReleases reads the golang.org/toolchain version list from the module
// proxy (GOPROXY, falling back to the cached list with a note when the proxy
// cannot be reached, as --go does) and returns the releases newest first.
// A GOSUMDB that release downloads would refuse is refused here too, before
// any network traffic, so the list never names what cannot be fetched.
func ListReleases(ctx context.Context, opts Options) ([]Release, error) {
	c, err := newCache(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	rs := &releaseSource{opts: &opts, cache: c}
	rs.proxy, rs.perr = newProxyClient(&opts)
	if rs.proxy != nil && rs.proxy.entries[0].url != "off" {
		if _, err := parseGOSUMDB(opts.GOSUMDB, opts.KnownSumDBKeys); err != nil {
			return nil, err
		}
	}
	list, err := rs.list(ctx)
	if err != nil {
		return nil, err
	}
	return groupReleases(list)
}

// groupReleases turns the parsed version list into releases, newest first,
// and marks the supported ones.
func groupReleases(list releases) ([]Release, error) {
	out := make([]Release, 0, len(list))
	for v, ps := range list {
		r := Release{Version: v}
		for _, p := range ps {
			// String keeps this independent of how Platform spells its fields.
			vp, err := v1.ParsePlatform(p.String())
			if err != nil {
				return nil, fmt.Errorf("version list entry for %s: %w", v, err)
			}
			if !r.Serves(*vp) {
				r.Platforms = append(r.Platforms, v1.Platform{OS: vp.OS, Architecture: vp.Architecture})
			}
		}
		slices.SortFunc(r.Platforms, comparePlatforms)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Release) int { return version.Compare(b.Version, a.Version) })
	lines := supportedLines(out)
	for i := range out {
		out[i].Supported = out[i].Final() && slices.Contains(lines, out[i].Line())
	}
	return out, nil
}

func comparePlatforms(a, b v1.Platform) int {
	if c := strings.Compare(a.OS, b.OS); c != 0 {
		return c
	}
	return strings.Compare(a.Architecture, b.Architecture)
}

// supportedLines returns the SupportedLines newest lines ("go1.26",
// "go1.25") that have a final release, newest first; rels is newest first.
func supportedLines(rels []Release) []string {
	var lines []string
	for i := range rels {
		if l := rels[i].Line(); rels[i].Final() && !slices.Contains(lines, l) {
			lines = append(lines, l)
			if len(lines) == SupportedLines {
				break
			}
		}
	}
	return lines
}

// SupportedReleases returns the newest release of each supported line that
// is served for every platform in ps, newest line first. A supported line
// with no such release is an error naming what is served.
func SupportedReleases(rels []Release, ps []v1.Platform) ([]Release, error) {
	var out []Release
	for _, l := range supportedLines(rels) {
		r, err := ChooseRelease(rels, strings.TrimPrefix(l, "go"), ps)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the %s version list has no final release", toolchainModule)
	}
	return out, nil
}

// ChooseRelease picks the release spec names, spelled as for --go: a line
// ("1.26", the newest final 1.26.x served for every platform in ps) or one
// release ("1.25.3", "go1.27rc1"), which must be served for all of ps.
// rels is newest first, as ListReleases returns it.
func ChooseRelease(rels []Release, spec string, ps []v1.Platform) (Release, error) {
	goVersion, line, ok := parseRelease(strings.TrimSpace(spec))
	if !ok {
		return Release{}, fmt.Errorf("%q: not a Go release or line such as 1.26 or 1.25.3", spec)
	}
	lang := version.Lang(goVersion)
	newest := func(all bool) *Release {
		for i := range rels {
			r := &rels[i]
			if r.Line() == lang && r.Final() && (!all || servesAll(r, ps)) {
				return r
			}
		}
		return nil
	}
	newestAny := ""
	if i := slices.IndexFunc(rels, func(r Release) bool { return r.Final() }); i >= 0 {
		newestAny = strings.TrimPrefix(rels[i].Version, "go")
	}
	if line {
		if r := newest(true); r != nil {
			return *r, nil
		}
		if r := newest(false); r != nil {
			return Release{}, fmt.Errorf("%s: no release is served for %s; %s is served for %s", spec, v1PlatformList(ps), r.Version, v1PlatformList(r.Platforms))
		}
		return Release{}, fmt.Errorf("%s: no Go release %s; newest is %s", spec, strings.TrimPrefix(lang, "go"), newestAny)
	}
	i := slices.IndexFunc(rels, func(r Release) bool { return r.Version == goVersion })
	if i < 0 {
		if r := newest(false); r != nil {
			return Release{}, fmt.Errorf("%s: no such release; newest %s is %s", spec, strings.TrimPrefix(lang, "go"), strings.TrimPrefix(r.Version, "go"))
		}
		return Release{}, fmt.Errorf("%s: no such release; newest is %s", spec, newestAny)
	}
	for _, p := range ps {
		if !rels[i].Serves(p) {
			return Release{}, fmt.Errorf("%s: %s is not served for %s; it is served for %s", spec, goVersion, p.String(), v1PlatformList(rels[i].Platforms))
		}
	}
	return rels[i], nil
}

func servesAll(r *Release, ps []v1.Platform) bool {
	for _, p := range ps {
		if !r.Serves(p) {
			return false
		}
	}
	return true
}

func v1PlatformList(ps []v1.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// IsReleaseSpec reports whether s names a Go release or line the way --go
// does ("1.26", "1.25.3", "go1.27rc1"), so callers can check it before
// fetching the version list.
func IsReleaseSpec(s string) bool {
	_, _, ok := parseRelease(strings.TrimSpace(s))
	return ok
}
