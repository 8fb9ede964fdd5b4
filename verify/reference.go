package verify

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/sdk"
)

// ReferenceCache keeps the full SDK's results of the embedded probes
// between Verify calls, so that verifying several images of one release
// runs the reference once. Results are kept for one release, platform and
// environment (sandboxed or not, C compiler) at a time; a call for another
// starts afresh. User-module probes are never cached.
type ReferenceCache struct {
	mu      sync.Mutex
	key     string
	results map[string]probes.Result
	source  string
}

// NewReferenceCache returns an empty cache.
func NewReferenceCache() *ReferenceCache { return &ReferenceCache{} }

// reference runs the probes with the full SDK of the image's release,
// for the host, building for the image's platform or target. Results of
// the embedded probes come from (and go to) the reference cache.
func (v *verifier) reference(ctx context.Context, rep *Report, caps []probes.Capability, mods []string, t *tree) ([]probes.Result, error) {
	c := v.opts.cache
	if c == nil {
		c = NewReferenceCache()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := fmt.Sprintf("%s %s target=%s sandboxed=%v cc=%s", rep.GoVersion, imageref.FormatPlatform(v.host), rep.Target, rep.Sandboxed, rep.CCompiler)
	if c.key != key {
		c.key, c.results, c.source = key, map[string]probes.Result{}, ""
	}
	var names, missing []string
	for _, p := range probes.Suite() {
		if slices.Contains(caps, p.Needs) && (rep.Subset == nil || slices.Contains(rep.Subset, p.Name)) {
			names = append(names, p.Name)
			if _, ok := c.results[p.Name]; !ok {
				missing = append(missing, p.Name)
			}
		}
	}
	if len(missing) == 0 && len(mods) == 0 {
		rep.Reference = c.source + " (cached)"
		var out []probes.Result
		for _, n := range names {
			out = append(out, c.results[n])
		}
		return out, nil
	}
	full, err := v.fullSDK(ctx, rep)
	if err != nil {
		return nil, err
	}
	c.source = full.Source
	if rep.Target != "" {
		c.source += ", cross-compiling to " + rep.Target
	}
	v.logf("verify: running the probes with the full SDK (%s)", c.source)
	res, err := v.runReference(ctx, rep, caps, mods, missing, full.Dir, t)
	if err != nil {
		return nil, err
	}
	var out []probes.Result
	for _, r := range res {
		if strings.HasPrefix(r.Probe, "user:") {
			out = append(out, r)
			continue
		}
		c.results[r.Probe] = r
	}
	for _, n := range names {
		if r, ok := c.results[n]; ok {
			out = append(out, r)
		}
	}
	rep.Reference = c.source
	return out, nil
}

// fullSDK returns the reference SDK: WithReferenceSDK's, or the image's
// release fetched for the host. (The image's platform is the host's,
// unless its toolchain is emulated or cross-compiles: the reference always
// runs natively.)
func (v *verifier) fullSDK(ctx context.Context, rep *Report) (*sdk.SDK, error) {
	full := v.opts.refSDK
	if full == nil {
		sdks, err := sdk.Resolve(ctx, rep.GoVersion, []v1.Platform{v.host}, v.opts.sdk)
		if err != nil {
			return nil, fmt.Errorf("fetching the full SDK of %s for reference: %w", rep.GoVersion, err)
		}
		full = sdks[0]
	}
	if full.Version != rep.GoVersion || !full.Platform().Equals(v.host) {
		return nil, fmt.Errorf("the reference SDK is %s %s; want %s %s", full.Version, imageref.FormatPlatform(full.Platform()), rep.GoVersion, imageref.FormatPlatform(v.host))
	}
	return full, nil
}

// runReference runs the missing embedded probes and the user-module probes
// with the full SDK at fullDir.
func (v *verifier) runReference(ctx context.Context, rep *Report, caps []probes.Capability, mods, missing []string, fullDir string, t *tree) ([]probes.Result, error) {
	cache := v.opts.refGOCACHE
	if t.sb != nil {
		t.sb.Binds[refGOROOT] = fullDir
		if cache != "" {
			t.sb.WritableBinds = map[string]string{refGOCACHE: cache}
		}
		if err := t.sb.PrepareBinds(); err != nil {
			return nil, err
		}
	}
	names := slices.Clone(missing)
	for _, m := range mods {
		for _, n := range []string{"build", "vet", "test"} {
			names = append(names, "user:"+m+"/"+n)
		}
	}
	refDir := filepath.Join(t.runDir, "reference")
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		return nil, err
	}
	env, wrap := t.env(rep)
	po := probes.Options{
		Capabilities: caps,
		Only:         names,
		UserModules:  mods,
		WorkDir:      refDir,
		GOCACHE:      cache,
		Env:          env,
		Wrap:         wrap,
		Log:          prefixWriter(v.opts.log, "reference: "),
	}
	if rep.Target != "" {
		po.GOOS, po.GOARCH = v.target.OS, v.target.Architecture
	}
	res, err := probes.Run(ctx, fullDir, po)
	if err != nil {
		return nil, fmt.Errorf("running probes with the full SDK: %w", err)
	}
	return res, nil
}

// prefixWriter prefixes each line written to w; nil w gives nil.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	if w == nil {
		return nil
	}
	return &prefixed{w: w, prefix: prefix, bol: true}
}

type prefixed struct {
	w      io.Writer
	prefix string
	bol    bool
}

func (p *prefixed) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if p.bol {
			out = append(out, p.prefix...)
			p.bol = false
		}
		out = append(out, c)
		if c == '\n' {
			p.bol = true
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// copyTree copies a module directory (regular files and directories;
// .git and symlinks skipped).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil
	})
}
