package publishtest

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"

	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

const toolchain = "golang.org/toolchain"

// gorootimg returns the gorootimg binary built from this tree.
func gorootimg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: builds and runs the gorootimg binary (-short)")
	}
	return fixture.Binary(t)
}

// modProxy is a module proxy serving golang.org/toolchain releases made
// from build's tiny test SDK, with a checksum database at
// <proxy>/sumdb/<name>/ signed by a key generated for the test.
type modProxy struct {
	t    *testing.T
	srv  *httptest.Server
	vkey string
	mu   sync.Mutex
	zips map[string][]byte // toolchain version → zip
	sums map[string]string // toolchain version → h1: hash
	hits map[string]int    // path → requests
}

func newModProxy(t *testing.T) *modProxy {
	t.Helper()
	mp := &modProxy{t: t, zips: map[string][]byte{}, sums: map[string]string{}, hits: map[string]int{}}
	const dbName = "sum.example.test"
	skey, vkey, err := note.GenerateKey(rand.Reader, dbName)
	if err != nil {
		t.Fatal(err)
	}
	mp.vkey = vkey
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		mp.mu.Lock()
		defer mp.mu.Unlock()
		h, ok := mp.sums[vers]
		if path != toolchain || !ok {
			return nil, fmt.Errorf("no such module %s@%s", path, vers)
		}
		return fmt.Appendf(nil, "%s %s %s\n%s %s/go.mod h1:fakegomodhash=\n", path, vers, h, path, vers), nil
	}))
	prefix := "/sumdb/" + dbName
	mp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mp.mu.Lock()
		mp.hits[r.URL.Path]++
		mp.mu.Unlock()
		switch p := r.URL.Path; {
		case p == prefix+"/supported":
			w.WriteHeader(http.StatusOK)
		case strings.HasPrefix(p, prefix+"/"):
			http.StripPrefix(prefix, db).ServeHTTP(w, r)
		case p == "/"+toolchain+"/@v/list":
			mp.mu.Lock()
			var vs []string
			for v := range mp.zips {
				vs = append(vs, v)
			}
			mp.mu.Unlock()
			sort.Strings(vs)
			fmt.Fprintln(w, strings.Join(vs, "\n"))
		case strings.HasPrefix(p, "/"+toolchain+"/@v/") && strings.HasSuffix(p, ".zip"):
			mp.mu.Lock()
			z, ok := mp.zips[strings.TrimSuffix(strings.TrimPrefix(p, "/"+toolchain+"/@v/"), ".zip")]
			mp.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(z)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(mp.srv.Close)
	return mp
}

// add serves release goVersion ("go1.26.1") for each "os/arch".
func (mp *modProxy) add(goVersion string, platforms ...string) {
	mp.t.Helper()
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		tv := "v0.0.1-" + goVersion + "." + goos + "-" + goarch
		z := moduleZip(mp.t, tv, goVersion, goos, goarch)
		f := filepath.Join(mp.t.TempDir(), "m.zip")
		if err := os.WriteFile(f, z, 0o644); err != nil {
			mp.t.Fatal(err)
		}
		h, err := dirhash.HashZip(f, dirhash.Hash1)
		if err != nil {
			mp.t.Fatal(err)
		}
		mp.mu.Lock()
		mp.zips[tv], mp.sums[tv] = z, h
		mp.mu.Unlock()
	}
}

// zipHits counts the module zips downloaded.
func (mp *modProxy) zipHits() int {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	n := 0
	for p, c := range mp.hits {
		if strings.HasSuffix(p, ".zip") {
			n += c
		}
	}
	return n
}

// moduleZip makes the toolchain module zip of a fake release from build's
// test SDK (testdata/sdk-linux-amd64), the way cmd/distpack lays it out:
// every file below golang.org/toolchain@VERSION/, go.mod named _go.mod.
func moduleZip(t *testing.T, tv, goVersion, goos, goarch string) []byte {
	t.Helper()
	src := "../../assemble/testdata/sdk-linux-amd64"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case rel == "VERSION":
			body = fmt.Appendf(nil, "%s\ntime 2026-01-02T03:04:05Z\n", goVersion)
		case strings.HasPrefix(rel, "pkg/tool/linux_amd64/"):
			rel = "pkg/tool/" + goos + "_" + goarch + "/" + strings.TrimPrefix(rel, "pkg/tool/linux_amd64/")
		}
		if filepath.Base(rel) == "go.mod" {
			rel = strings.TrimSuffix(rel, "go.mod") + "_go.mod"
		}
		w, err := zw.Create(toolchain + "@" + tv + "/" + rel)
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// result is one gorootimg process.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// world is what a test's gorootimg runs see: the proxy, the cache, an
// empty docker config.
type world struct {
	t     *testing.T
	proxy *modProxy
	dir   string
}

func newWorld(t *testing.T) *world {
	gorootimg(t) // skips with -short before any subtest
	dir := t.TempDir()
	testenv.GoTelemetryOff(t, dir) // dir is gorootimg's HOME
	return &world{t: t, proxy: newModProxy(t), dir: dir}
}

// run runs gorootimg with args in w.dir.
func (w *world) run(args ...string) result {
	w.t.Helper()
	cmd := exec.Command(gorootimg(w.t), args...)
	cmd.Dir = w.dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + w.dir, "TMPDIR=" + w.t.TempDir(),
		"GOPROXY=" + w.proxy.srv.URL, "GOSUMDB=" + w.proxy.vkey,
		"GOROOTIMG_CACHE=" + filepath.Join(w.dir, "cache"),
		"DOCKER_CONFIG=" + filepath.Join(w.dir, "docker"),
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		w.t.Fatalf("running gorootimg: %v", err)
	}
	return r
}

// writeFile writes a file below w.dir.
func (w *world) writeFile(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// report is what publish --json prints.
type report struct {
	Repository string
	DryRun     bool
	Pushed     int
	Moved      int
	UpToDate   bool
	Images     []struct {
		Image, Release, Variant, Digest string
		Push, Cached, Done              bool
		Error                           string
		Moves                           []struct{ Tag, From, To string }
		Unchanged                       []string
	}
}

func (w *world) publish(args ...string) report {
	w.t.Helper()
	r := w.run(append([]string{"publish", "--json"}, args...)...)
	if r.code != 0 {
		w.t.Fatalf("gorootimg publish: %v", r)
	}
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		w.t.Fatalf("publish --json: %v\n%s", err, r.stdout)
	}
	return rep
}

// movedTags lists the tags the report moved, sorted.
func (rep *report) movedTags() []string {
	var out []string
	for _, im := range rep.Images {
		for _, m := range im.Moves {
			out = append(out, m.Tag)
		}
	}
	sort.Strings(out)
	return out
}

// pushedImages lists the images the report pushed.
func (rep *report) pushedImages() []string {
	var out []string
	for _, im := range rep.Images {
		if im.Push {
			out = append(out, im.Image)
		}
	}
	return out
}
