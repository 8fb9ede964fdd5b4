package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/sdk"
)

// snapshot maps every path below dir (slash, relative) to a digest of
// what it is: type, mode and content or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return nil
		}
		v := info.Mode().String()
		switch {
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += fmt.Sprintf(" %x", sha256.Sum256(b))
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			v += " -> " + l
		}
		m[filepath.ToSlash(rel)] = v
		return nil
	})
	return m
}

// changed lists the paths added, removed or changed between two snapshots.
func changed(before, after map[string]string) []string {
	var out []string
	for p, v := range after {
		if before[p] != v {
			out = append(out, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// metadata reports whether a new cache path is metadata that a refused
// run may legitimately keep: checksum database tiles, the proxy's version
// list and empty lock files. None of it comes from the hostile input.
func metadata(p string) bool {
	for _, d := range []string{"sumdb", "index", "locks"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return p == "sdk" || p == "tmp" // empty directories
}

// TestHostileResolve runs every hostile input through sdk.Resolve with an
// empty cache. Each must be refused with an error naming what was wrong
// (or, where allowed, accepted with the hostile property removed), and
// nothing may be written to the cache, outside it, or to the files the
// input aims at.
func TestHostileResolve(t *testing.T) {
	ctx := context.Background()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			top := t.TempDir()
			in, cache := filepath.Join(top, "in"), filepath.Join(top, "cache")
			for _, d := range []string{in, cache} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			tg := Targets{Escape: filepath.Join(top, EscapeName), Victim: filepath.Join(top, "victim")}
			if err := WriteVictim(tg); err != nil {
				t.Fatal(err)
			}
			spec, err := c.Write(in, tg)
			if err != nil {
				t.Fatalf("writing the input: %v", err)
			}
			opts := sdk.Options{CacheDir: cache, ImageGOROOT: ImageGOROOT}
			if c.Source == ModZip {
				// A new proxy and checksum database per case: the
				// database's log never forgets a hash it served.
				fp := newFakeProxy(t)
				fp.serve(t, spec)
				opts.GOPROXY, opts.GOSUMDB = fp.srv.URL, fp.vkey
				spec = strings.TrimPrefix(Release, "go")
			}
			if c.NeedLimit {
				setLimit(&opts, Limit)
			}
			inBefore := snapshot(t, in)
			sdks, err := sdk.Resolve(ctx, spec, []v1.Platform{{OS: GOOS, Architecture: GOARCH}}, opts)

			// Nothing outside the cache, whatever the outcome.
			if _, serr := os.Lstat(tg.Escape); !errors.Is(serr, fs.ErrNotExist) {
				t.Errorf("Resolve(%s) created %s outside the cache", c.Name, tg.Escape)
			}
			if b, _ := os.ReadFile(tg.Victim); string(b) != VictimContent {
				t.Errorf("Resolve(%s) changed %s to %q", c.Name, tg.Victim, b)
			}
			if fi, serr := os.Stat(tg.Victim); serr == nil && !fi.Mode().IsRegular() {
				t.Errorf("Resolve(%s) replaced %s with a %v", c.Name, tg.Victim, fi.Mode())
			}
			if ch := changed(inBefore, snapshot(t, in)); len(ch) > 0 {
				t.Errorf("Resolve(%s) changed its input: %v", c.Name, ch)
			}
			tops, _ := os.ReadDir(top)
			for _, e := range tops {
				switch e.Name() {
				case "in", "cache", "victim":
				default:
					t.Errorf("Resolve(%s) created %s next to the cache", c.Name, e.Name())
				}
			}

			if c.Want == nil {
				if err != nil {
					t.Fatalf("Resolve(%s) = %v; the control case must be accepted", c.Name, err)
				}
				if len(sdks) != 1 || sdks[0].Version != Release {
					t.Fatalf("Resolve(%s) = %+v, want one %s SDK", c.Name, sdks, Release)
				}
				t.Logf("ROW\t%s\t%s\t%s", c.What, "accepted: "+sdks[0].Version+" "+oneLine(sdks[0].Source, top), "n/a")
				return
			}
			if err == nil {
				if c.MayNormalise {
					checkNormalised(t, c, sdks)
					t.Logf("ROW\t%s\t%s\t%s", c.What, "accepted, normalised: "+c.Normalised, "yes")
					return
				}
				t.Fatalf("Resolve(%s) = %v, nil; want an error containing one of %q", c.Name, sdks, c.Want)
			}
			msg := err.Error()
			named := false
			for _, w := range c.Want {
				named = named || strings.Contains(msg, w)
			}
			if !named {
				t.Errorf("Resolve(%s) error %q does not contain any of %q", c.Name, msg, c.Want)
			}
			var left []string
			for _, p := range changed(map[string]string{}, snapshot(t, cache)) {
				if !metadata(p) {
					left = append(left, p)
				}
			}
			if len(left) > 0 {
				t.Errorf("Resolve(%s) refused the input but left in the cache: %v", c.Name, left)
			}
			t.Logf("ROW\t%s\t%s\t%s", c.What, "refused: "+oneLine(msg, top), "yes")
		})
	}
}

// checkNormalised fails if an accepted SDK tree holds a setuid or setgid
// file, a special file or any symlink.
func checkNormalised(t *testing.T, c Case, sdks []*sdk.SDK) {
	t.Helper()
	for _, s := range sdks {
		filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			if m := fi.Mode(); m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSymlink|fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0 {
				t.Errorf("Resolve(%s) accepted the input and kept %v on %s", c.Name, m, p)
			}
			return nil
		})
	}
}

// oneLine shortens an error for the table: temporary directories become
// $WORK and long runs of ../ are abbreviated.
func oneLine(s, top string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, up, "../(x40)")
	s = strings.ReplaceAll(s, top, "$WORK")
	s = strings.ReplaceAll(s, top[1:], "$WORK")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return string(bytes.ReplaceAll([]byte(s), []byte("|"), []byte("/")))
}

// setLimit sets the extraction size limit.
func setLimit(o *sdk.Options, n int64) { o.MaxSize = n }

// TestHostileBuild runs `gorootimg build` on each refused release archive
// (the bombs with GOROOTIMG_MAX_SDK_SIZE=8MiB) and checks the command fails,
// creates no output, installs no SDK in the cache and leaves no temporary
// files.
func TestHostileBuild(t *testing.T) {
	ctx := context.Background()
	n := 0
	defer func() {
		if !t.Failed() {
			t.Logf("ROW\tgorootimg build --go ARCHIVE --oci-layout OUT on each of the %d refused release archives above (bombs with GOROOTIMG_MAX_SDK_SIZE=8MiB)\texit 1, the entry named on stderr, nothing on stdout\tyes: no OUT, no SDK in the cache, no temporaries", n)
		}
	}()
	for _, c := range Cases() {
		if c.Source != Tarball || c.Want == nil || c.MayNormalise {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			top := t.TempDir()
			in, cache, out := filepath.Join(top, "in"), filepath.Join(top, "cache"), filepath.Join(top, "out")
			os.Mkdir(in, 0o755)
			tg := Targets{Escape: filepath.Join(top, EscapeName), Victim: filepath.Join(top, "victim")}
			if err := WriteVictim(tg); err != nil {
				t.Fatal(err)
			}
			spec, err := c.Write(in, tg)
			if err != nil {
				t.Fatal(err)
			}
			env := []string{"GOROOTIMG_CACHE=" + cache}
			if c.NeedLimit {
				env = append(env, fmt.Sprintf("GOROOTIMG_MAX_SDK_SIZE=%dMiB", Limit>>20))
			}
			r := gorootimgRun(t, ctx, env, nil,
				"build", "--go", spec, "--platform", "linux/amd64", "--recipe", "full", "--oci-layout", out)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("gorootimg build --go %s: %v; want exit 1 and nothing on stdout", c.Name, r)
			}
			named := false
			for _, w := range c.Want {
				named = named || strings.Contains(r.stderr, w)
			}
			if !named {
				t.Errorf("gorootimg build --go %s: stderr %q names none of %q", c.Name, r.stderr, c.Want)
			}
			if _, err := os.Lstat(out); err == nil {
				t.Errorf("a refused build created its output %s", out)
			}
			if ts, _ := os.ReadDir(filepath.Join(cache, "sdk")); len(ts) > 0 {
				t.Errorf("a refused build installed %d SDK trees in the cache", len(ts))
			}
			if l := leftovers(cache); len(l) > 0 || len(r.tmpLeft) > 0 {
				t.Errorf("a refused build left temporary files: %v %v", l, r.tmpLeft)
			}
			if _, err := os.Lstat(tg.Escape); err == nil {
				t.Errorf("a refused build created %s", tg.Escape)
			}
			if b, _ := os.ReadFile(tg.Victim); string(b) != VictimContent {
				t.Errorf("a refused build changed %s", tg.Victim)
			}
		})
	}
}
