package sdk

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64"}
	darwinARM  = v1.Platform{OS: "darwin", Architecture: "arm64"}
)

func TestParseRelease(t *testing.T) {
	for _, tc := range []struct {
		in   string
		v    string
		line bool
		ok   bool
	}{
		{"1.22.12", "go1.22.12", false, true},
		{"go1.22.12", "go1.22.12", false, true},
		{"1.22", "go1.22", true, true},
		{"go1.26", "go1.26", true, true},
		{"1.23rc1", "go1.23rc1", false, true},
		{"1.21.0", "go1.21.0", false, true},
		{"local", "", false, false},
		{"1", "", false, false},
		{"1.22.12.1", "", false, false},
		{"./1.22", "", false, false},
	} {
		v, line, ok := parseRelease(tc.in)
		if v != tc.v || line != tc.line || ok != tc.ok {
			t.Errorf("parseRelease(%q) = %q, %v, %v; want %q, %v, %v", tc.in, v, line, ok, tc.v, tc.line, tc.ok)
		}
	}
}

func TestParseToolchainVersion(t *testing.T) {
	for _, tc := range []struct {
		in, v string
		p     v1.Platform
		ok    bool
	}{
		{"v0.0.1-go1.22.12.linux-amd64", "go1.22.12", linuxAMD64, true},
		{"v0.0.1-go1.23rc1.darwin-arm64", "go1.23rc1", darwinARM, true},
		{"v0.0.1-go1.21.0.windows-386", "go1.21.0", v1.Platform{OS: "windows", Architecture: "386"}, true},
		{"v0.0.1-go1.22.12.linux", "", v1.Platform{}, false},
		{"v0.0.2-go1.22.12.linux-amd64", "", v1.Platform{}, false},
		{"v0.0.1-gox.linux-amd64", "", v1.Platform{}, false},
	} {
		v, p, ok := parseToolchainVersion(tc.in)
		if v != tc.v || !p.Equals(tc.p) || ok != tc.ok {
			t.Errorf("parseToolchainVersion(%q) = %q, %v, %v; want %q, %v, %v", tc.in, v, p, ok, tc.v, tc.p, tc.ok)
		}
		if ok && toolchainVersion(v, p) != tc.in {
			t.Errorf("toolchainVersion(%q, %v) = %q, want %q", v, p, toolchainVersion(v, p), tc.in)
		}
	}
}

func TestChoose(t *testing.T) {
	list := parseList([]byte(strings.Join([]string{
		"v0.0.1-go1.22.9.linux-amd64", "v0.0.1-go1.22.12.linux-amd64", "v0.0.1-go1.22.10.linux-amd64",
		"v0.0.1-go1.22.12.darwin-arm64", "v0.0.1-go1.22.11.linux-arm64", "v0.0.1-go1.22.11.linux-amd64",
		"v0.0.1-go1.23rc1.linux-amd64", "v0.0.1-go1.24.0.darwin-arm64", "garbage",
	}, "\n")))
	for _, tc := range []struct {
		spec string
		ps   []v1.Platform
		want string
		err  string
	}{
		{"1.22", []v1.Platform{linuxAMD64}, "go1.22.12", ""},
		{"1.22", []v1.Platform{linuxARM64}, "go1.22.11", ""},
		{"1.22", []v1.Platform{linuxAMD64, linuxARM64}, "go1.22.11", ""},
		{"1.22.9", []v1.Platform{linuxAMD64}, "go1.22.9", ""},
		{"go1.23rc1", []v1.Platform{linuxAMD64}, "go1.23rc1", ""},
		{"1.22.99", []v1.Platform{linuxAMD64}, "", "no Go release 1.22.99; newest 1.22 is 1.22.12"},
		{"1.22.12", []v1.Platform{linuxARM64}, "", "go1.22.12 is not served for linux/arm64; it is served for darwin/arm64, linux/amd64"},
		{"1.24", []v1.Platform{linuxAMD64}, "", "no 1.24 release is served for linux/amd64; go1.24.0 is served for darwin/arm64"},
		{"1.19", []v1.Platform{linuxAMD64}, "", "no Go release 1.19; newest is 1.24.0"},
		{"1.19.3", []v1.Platform{linuxAMD64}, "", "no Go release 1.19.3; newest is 1.24.0"},
	} {
		v, line, _ := parseRelease(tc.spec)
		got, err := list.choose(tc.spec, v, line, tc.ps)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("choose(%q, %v) error = %v, want %q", tc.spec, tc.ps, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("choose(%q, %v) = %q, %v; want %q", tc.spec, tc.ps, got, err, tc.want)
		}
	}
}

func TestResolveRelease(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	tv := fp.add("go1.22.12", linuxAMD64)
	fp.add("go1.22.9", linuxAMD64)
	fp.add("go1.22.12", linuxARM64)
	cache := tempCache(t)
	opts := fp.options(cache)

	sdks, err := Resolve(ctx, "1.22", []v1.Platform{linuxAMD64, linuxARM64}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(sdks) != 2 {
		t.Fatalf("Resolve(1.22) gave %d SDKs, want 2", len(sdks))
	}
	s := sdks[0]
	wantTime := time.Date(2025, 2, 4, 20, 39, 4, 0, time.UTC)
	if s.Version != "go1.22.12" || s.GOOS != "linux" || s.GOARCH != "amd64" || !s.Time.Equal(wantTime) ||
		s.Source != toolchainModule+"@"+tv || s.Hash != fp.sums[tv] {
		t.Errorf("Resolve(1.22)[0] = %+v", s)
	}
	if sdks[1].GOARCH != "arm64" || sdks[1].Dir == s.Dir {
		t.Errorf("Resolve(1.22)[1] = %+v, want the arm64 SDK in its own directory", sdks[1])
	}
	// Normalised: go.mod names restored, modes from the role, read-only.
	for name, mode := range map[string]os.FileMode{
		"src/go.mod": 0o444, "src/cmd/go.mod": 0o444, "bin/go": 0o555, "pkg/tool/linux_amd64/compile": 0o555,
		"src/make.bash": 0o555, "lib/wasm/go_js_wasm_exec": 0o555, "src/fmt/print.go": 0o444,
	} {
		fi, err := os.Stat(filepath.Join(s.Dir, name))
		if err != nil {
			t.Errorf("normalised tree: %v", err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "src/_go.mod")); err == nil {
		t.Errorf("src/_go.mod still present after normalisation")
	}
	if fi, _ := os.Stat(filepath.Join(s.Dir, "src")); fi.Mode().Perm()&0o222 != 0 {
		t.Errorf("cached tree directory src is writable: %v", fi.Mode())
	}

	// Offline: the same release again with GOPROXY=off, and with the proxy
	// gone altogether.
	zipPath := "/" + toolchainModule + "/@v/" + tv + ".zip"
	off := opts
	off.GOPROXY = "off"
	again, err := Resolve(ctx, "go1.22.12", []v1.Platform{linuxAMD64}, off)
	if err != nil {
		t.Fatalf("Resolve(go1.22.12) offline: %v", err)
	}
	if again[0].Dir != s.Dir || again[0].Hash != s.Hash {
		t.Errorf("offline Resolve = %+v, want %+v", again[0], s)
	}
	if n := fp.count(zipPath); n != 1 {
		t.Errorf("zip downloaded %d times, want 1", n)
	}
	// A line needs the version list: offline it comes from the cache, with a note.
	var notes []string
	off.Logf = func(f string, a ...any) { notes = append(notes, f) }
	again, err = Resolve(ctx, "1.22", []v1.Platform{linuxAMD64}, off)
	if err != nil || again[0].Version != "go1.22.12" {
		t.Fatalf("Resolve(1.22) offline = %v, %v", again, err)
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "cached") {
		t.Errorf("offline Resolve(1.22) notes = %q, want one about the cached list", notes)
	}
	// Not in the cache and offline: a clear error.
	if _, err := Resolve(ctx, "1.22.9", []v1.Platform{linuxAMD64}, off); err == nil || !errors.Is(err, errOff) {
		t.Errorf("Resolve(1.22.9) with GOPROXY=off and nothing cached: error = %v, want GOPROXY=off", err)
	}
}

func TestResolveReleaseErrors(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	tv := fp.add("go1.22.12", linuxAMD64)
	fp.add("go1.22.12", darwinARM)
	zipPath := "/" + toolchainModule + "/@v/" + tv + ".zip"

	for _, tc := range []struct {
		name  string
		spec  string
		ps    []v1.Platform
		setup func(o *Options)
		want  string
	}{
		{"unknown release", "1.22.99", nil, nil, "no Go release 1.22.99; newest 1.22 is 1.22.12"},
		{"platform not served", "1.22.12", []v1.Platform{linuxARM64}, nil, "go1.22.12 is not served for linux/arm64; it is served for darwin/arm64, linux/amd64"},
		{"gosumdb off", "1.22.12", nil, func(o *Options) { o.GOSUMDB = "off" }, "GOSUMDB=off"},
		{"gosumdb unset", "1.22.12", nil, func(o *Options) { o.GOSUMDB = "" }, "GOSUMDB is not set"},
		{"gosumdb name only", "1.22.12", nil, func(o *Options) { o.GOSUMDB = "sum.example.test" }, "no verifier key"},
		{"goproxy unset", "1.22.12", nil, func(o *Options) { o.GOPROXY = "" }, "GOPROXY is not set"},
		{"goproxy direct", "1.22.12", nil, func(o *Options) { o.GOPROXY = "direct" }, `reached "direct"`},
		{"gonoproxy", "1.22.12", nil, func(o *Options) { o.GONOPROXY = "golang.org" }, "GONOPROXY/GOPRIVATE match golang.org/toolchain"},
		{"goprivate", "1.22.12", nil, func(o *Options) { o.GOPRIVATE = "golang.org/*" }, "GONOPROXY/GOPRIVATE match"},
		{"bad goproxy", "1.22.12", nil, func(o *Options) { o.GOPROXY = "ftp://x" }, `GOPROXY entry "ftp://x"`},
		{"not a spec", "frob", nil, nil, `Go SDK source "frob": not a release`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := tempCache(t)
			o := fp.options(cache)
			if tc.setup != nil {
				tc.setup(&o)
			}
			ps := tc.ps
			if ps == nil {
				ps = []v1.Platform{linuxAMD64}
			}
			_, err := Resolve(ctx, tc.spec, ps, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resolve(%q) error = %v, want %q", tc.spec, err, tc.want)
			}
			if got := cacheEntries(t, cache); len(got) != 0 {
				t.Errorf("cache after failure holds %v, want nothing", got)
			}
		})
	}

	// Proxy errors name the module@version and the status, after one request.
	for _, st := range []int{403, 404, 410, 500} {
		fp.mu.Lock()
		fp.status[".zip"] = st
		fp.hits = map[string]int{}
		fp.mu.Unlock()
		cache := tempCache(t)
		_, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, fp.options(cache))
		want := toolchainModule + "@" + tv
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), http.StatusText(st)) {
			t.Errorf("zip %d: error = %v, want it to name %s and the status", st, err, want)
		}
		if n := fp.count(zipPath); n != 1 {
			t.Errorf("zip %d: requested %d times, want 1 (no retries)", st, n)
		}
		if got := cacheEntries(t, cache); len(got) != 0 {
			t.Errorf("zip %d: cache holds %v, want nothing", st, got)
		}
	}
	fp.mu.Lock()
	fp.status = map[string]int{}
	fp.mu.Unlock()

	// A timeout: the proxy never answers the zip request.
	release := make(chan struct{})
	defer close(release)
	fp.mu.Lock()
	fp.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, ".zip") {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	fp.mu.Unlock()
	o := fp.options(tempCache(t))
	o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	_, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, o)
	if err == nil || !strings.Contains(err.Error(), toolchainModule+"@"+tv) || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("stalled proxy: error = %v, want a timeout naming the module", err)
	}
	if got := cacheEntries(t, o.CacheDir); len(got) != 0 {
		t.Errorf("stalled proxy: cache holds %v", got)
	}
}

func TestStalledDownload(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	tv := fp.add("go1.22.12", linuxAMD64)
	release := make(chan struct{})
	defer close(release)
	fp.mu.Lock()
	z := fp.zips[tv]
	fp.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, ".zip") {
			return false
		}
		// Half the zip, then nothing.
		w.Header().Set("Content-Length", strconv.Itoa(len(z)))
		w.Write(z[:len(z)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	fp.mu.Unlock()
	o := fp.options(tempCache(t))
	o.StallTimeout = 300 * time.Millisecond
	_, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, o)
	if err == nil || !strings.Contains(err.Error(), toolchainModule+"@"+tv) || !strings.Contains(err.Error(), "no data for 300ms after") {
		t.Errorf("stalled download: error = %v, want one naming the module and the stall", err)
	}
	if got := cacheEntries(t, o.CacheDir); len(got) != 0 {
		t.Errorf("stalled download: cache holds %v", got)
	}
}

func TestChecksumMismatch(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(fp *fakeProxy, tv string)
		want   string
	}{
		{"database disagrees", func(fp *fakeProxy, tv string) {
			fp.sums[tv] = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}, "SECURITY ERROR"},
		{"zip swapped", func(fp *fakeProxy, tv string) {
			other := moduleZip(fp.t, tv, append(fakeGOROOT("go1.22.12", linuxAMD64), fakeFile{name: "bin/evil", body: "x"}))
			fp.zips[tv] = other
		}, "does not match the checksum database"},
		{"zip truncated", func(fp *fakeProxy, tv string) {
			fp.zips[tv] = fp.zips[tv][:len(fp.zips[tv])/2]
		}, "corrupt"},
		{"database not signed by GOSUMDB's key", nil, "verifying"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := newFakeProxy(t)
			tv := fp.add("go1.22.12", linuxAMD64)
			o := fp.options(tempCache(t))
			if tc.tamper != nil {
				fp.mu.Lock()
				tc.tamper(fp, tv)
				fp.mu.Unlock()
			} else {
				other := newFakeProxy(t)
				o.GOSUMDB = other.vkey // same name, different key
			}
			_, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Resolve error = %v, want %q", err, tc.want)
			}
			if got := cacheEntries(t, o.CacheDir); len(got) != 0 {
				t.Errorf("cache after %s holds %v, want nothing", tc.name, got)
			}
			if _, err := os.Stat(filepath.Join(o.CacheDir, "index", "toolchain", tv)); err == nil {
				t.Errorf("cache index records %s after %s", tv, tc.name)
			}
		})
	}
}

func TestProxyFallback(t *testing.T) {
	ctx := context.Background()
	good := newFakeProxy(t)
	good.add("go1.22.12", linuxAMD64)
	bad := newFakeProxy(t)
	for _, tc := range []struct {
		name    string
		status  int
		sep     string
		wantErr bool
	}{
		{"comma after 404", 404, ",", false},
		{"comma after 410", 410, ",", false},
		{"comma after 500", 500, ",", true},
		{"pipe after 500", 500, "|", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad.mu.Lock()
			bad.status = map[string]int{"/list": tc.status, ".zip": tc.status, "/supported": tc.status}
			bad.mu.Unlock()
			o := good.options(tempCache(t))
			o.GOPROXY = bad.srv.URL + tc.sep + good.srv.URL
			sdks, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, o)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "500") {
					t.Errorf("Resolve = %v, %v; want the first proxy's 500", sdks, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if sdks[0].Version != "go1.22.12" {
				t.Errorf("Resolve = %+v", sdks[0])
			}
		})
	}
}

func TestConcurrentResolve(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	tv := fp.add("go1.22.12", linuxAMD64)
	o := fp.options(tempCache(t))
	// A leftover from an interrupted run: removed under the lock.
	key := contentKey(fp.sums[tv])
	os.MkdirAll(filepath.Join(o.CacheDir, "tmp", key+".12345", "go", "bin"), 0o755)

	// And one from long ago for another entry: removed as stale.
	stale := filepath.Join(o.CacheDir, "tmp", "0123.456")
	os.MkdirAll(filepath.Join(stale, "go"), 0o755)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	fresh := filepath.Join(o.CacheDir, "tmp", "4567.890.zip")
	os.WriteFile(fresh, []byte("in progress elsewhere"), 0o644)

	var wg sync.WaitGroup
	dirs := make([]string, 4)
	errs := make([]error, 4)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sdks, err := Resolve(ctx, "1.22.12", []v1.Platform{linuxAMD64}, o)
			errs[i] = err
			if err == nil {
				dirs[i] = sdks[0].Dir
			}
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatalf("Resolve #%d: %v", i, errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Errorf("Resolve #%d dir = %s, want %s", i, dirs[i], dirs[0])
		}
	}
	if n := fp.count("/" + toolchainModule + "/@v/" + tv + ".zip"); n != 1 {
		t.Errorf("zip downloaded %d times by 4 concurrent resolves, want 1", n)
	}
	if got := cacheEntries(t, o.CacheDir); len(got) != 2 || !strings.HasPrefix(got[0], "sdk/") || got[1] != "tmp/4567.890.zip" {
		t.Errorf("cache holds %v, want one sdk/ entry and only the recent, unrelated temp file in tmp/", got)
	}
}

func TestParseKnownSumDBKeys(t *testing.T) {
	src := []byte("var knownGOSUMDB = map[string]string{\n\t\"sum.example.test\": \"sum.example.test+0123abcd+AbCd/ef+g=\",\n\t\"bad\": \"other+0123abcd+AAAA\",\n}\n")
	got := ParseKnownSumDBKeys(src)
	if len(got) != 1 || got["sum.example.test"] != "sum.example.test+0123abcd+AbCd/ef+g=" {
		t.Errorf("ParseKnownSumDBKeys = %v", got)
	}
	// The go command this test runs with knows at least one database.
	real, err := os.ReadFile(filepath.Join(runtimeGOROOT(t), "src/cmd/go/internal/modfetch/key.go"))
	if err != nil {
		t.Skipf("no go command source: %v", err)
	}
	keys := ParseKnownSumDBKeys(real)
	if len(keys) == 0 {
		t.Fatalf("ParseKnownSumDBKeys(key.go) found no keys")
	}
	for name, k := range keys {
		if _, err := parseGOSUMDB(name, keys); err != nil {
			t.Errorf("parseGOSUMDB(%q) with the go command's key %q: %v", name, k, err)
		}
	}
}
