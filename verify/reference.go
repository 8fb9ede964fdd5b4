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

	"github.com/gorootimg/gorootimg/internal/sandbox"
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

func (o *options) reference(ctx context.Context, rep *Report, caps []probes.Capability, mods []string, runDir string,
	env []string, sb *sandbox.Sandbox, wrap probes.WrapFunc, logf func(string, ...any)) ([]probes.Result, error) {
	c := o.cache
	if c == nil {
		c = NewReferenceCache()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := fmt.Sprintf("%s %s sandboxed=%v cc=%s", rep.GoVersion, rep.Platform, rep.Sandboxed, rep.CCompiler)
	if c.key != key {
		c.key, c.results, c.source = key, map[string]probes.Result{}, ""
	}
	var names, missing []string
	for _, p := range probes.Suite() {
		if slices.Contains(caps, p.Needs) {
			names = append(names, p.Name)
			if _, ok := c.results[p.Name]; !ok {
				missing = append(missing, p.Name)
			}
		}
	}
	if len(missing) > 0 || len(mods) > 0 {
		full := []*sdk.SDK{o.refSDK}
		if o.refSDK == nil {
			var err error
			full, err = sdk.Resolve(ctx, rep.GoVersion, []v1.Platform{{OS: runtimeOS(rep.Platform), Architecture: runtimeArch(rep.Platform)}}, o.sdk)
			if err != nil {
				return nil, fmt.Errorf("fetching the full SDK of %s for reference: %w", rep.GoVersion, err)
			}
		}
		if full[0].Version != rep.GoVersion || full[0].Platform().String() != rep.Platform {
			return nil, fmt.Errorf("the reference SDK is %s %s; the image holds %s %s", full[0].Version, full[0].Platform(), rep.GoVersion, rep.Platform)
		}
		c.source = full[0].Source
		fullDir := full[0].Dir
		if sb != nil {
			sb.Binds[refGOROOT] = fullDir
			if err := sb.PrepareBinds(); err != nil {
				return nil, err
			}
		}
		only := slices.Clone(missing)
		for _, m := range mods {
			for _, n := range []string{"build", "vet", "test"} {
				only = append(only, "user:"+m+"/"+n)
			}
		}
		refDir := filepath.Join(runDir, "reference")
		if err := os.MkdirAll(refDir, 0o755); err != nil {
			return nil, err
		}
		logf("verify: running the probes with the full SDK (%s)", full[0].Source)
		res, err := probes.Run(ctx, fullDir, probes.Options{
			Capabilities: caps,
			Only:         only,
			UserModules:  mods,
			WorkDir:      refDir,
			Env:          env,
			Wrap:         wrap,
			Log:          prefixWriter(o.log, "reference: "),
		})
		if err != nil {
			return nil, fmt.Errorf("running probes with the full SDK: %w", err)
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
	rep.Reference = c.source + " (cached)"
	var out []probes.Result
	for _, n := range names {
		out = append(out, c.results[n])
	}
	return out, nil
}

func runtimeOS(platform string) string {
	os, _, _ := strings.Cut(platform, "/")
	return os
}

func runtimeArch(platform string) string {
	_, arch, _ := strings.Cut(platform, "/")
	return arch
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
