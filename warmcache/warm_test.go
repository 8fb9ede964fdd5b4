package warmcache

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/sdktest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// testEnv is the config Env of a gorootimg image on scratch, with the
// cache where a non-root user can reach it.
var testEnv = []string{
	"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"GOROOT=/usr/local/go",
	"GOPATH=/go",
	"GOTOOLCHAIN=local",
	"GOCACHE=/var/cache/go-build",
}

// releaseSDK resolves a real Go release through the module proxy the go
// command is configured with, skipping when that proxy is unreachable.
func releaseSDK(t *testing.T, spec string) *sdk.SDK {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: fetches a real Go release and builds its standard library (-short)")
	}
	testenv.NeedRoot(t)
	testenv.NeedTool(t, sandbox.Tools...)
	s, _ := sdktest.Release(t, spec, v1.Platform{})
	return s
}

// imageRoot makes a scratch image's root file system: the SDK at
// /usr/local/go and nothing else (no shell, no C compiler), every file
// dated at the release time as the GOROOT layer dates it.
func imageRoot(t *testing.T, s *sdk.SDK) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	goroot := filepath.Join(root, "usr", "local", "go")
	if err := os.CopyFS(goroot, os.DirFS(s.Dir)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(goroot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, s.Time, s.Time)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestWarmStd warms std in a copy of a real go1.26 image (that two warms
// give the same layer digest is build's TestWarmCacheEndToEnd, across two
// processes with caches of their own). Then the layer, unpacked as an
// engine would into a root whose clock is 30 days past the image time, serves two commands
// with no standard-library compile, though the first one trims the cache:
// as root (who may delete any file) and as a user with no passwd entry,
// whose new entries land beside the warm ones.
func TestWarmStd(t *testing.T) {
	s := releaseSDK(t, "1.26")
	ctx := context.Background()
	imageTime := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	root := imageRoot(t, s)
	start := time.Now()
	res, err := Warm(ctx, Image{Root: root, Env: testEnv, Time: imageTime}, []Variant{Std}, WithLog(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm std took %v: %d files, %d bytes; %s cgo=%s CC=%s; notes %q",
		time.Since(start).Round(100*time.Millisecond), res.Files, res.Bytes, res.GoVersion, res.CGOEnabled, res.CC, res.Notes)
	if res.Files < 1000 {
		t.Errorf("warm std cached %d files, want the whole standard library", res.Files)
	}
	checkHostEqualsSandbox(t, s, res, imageTime)
	layer, err := layers.Write(ctx, filepath.Join(t.TempDir(), "layer"), res.Entries, layers.WithMTime(imageTime))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("layer %s, %d bytes compressed (gzip), %d uncompressed", layer.Digest, layer.Size, layer.UncompressedSize)

	// A fresh container: the root without its cache, then the layer.
	cacheDir := filepath.Join(root, "var", "cache", "go-build")
	if err := os.RemoveAll(cacheDir); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xzpf", layer.Path, "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("unpacking the layer: %v\n%s", err, out)
	}
	warm := cacheEntries(t, cacheDir)
	checkLayout(t, cacheDir, imageTime)

	// First command, as root: it trims (trim.txt is absent), as root may.
	writeModule(t, filepath.Join(root, "src", "hello"), helloHTTP)
	out := runGo(t, root, 0, "/src/hello", "build", "-x", "-o", "/tmp/hello", ".")
	checkNoStdCompile(t, "root: go build of a net/http hello", out)
	if _, err := os.Stat(filepath.Join(cacheDir, "trim.txt")); err != nil {
		t.Errorf("the first command did not trim the cache (no trim.txt): %v", err)
	}
	for name := range warm {
		if _, err := os.Stat(filepath.Join(cacheDir, name)); err != nil {
			t.Errorf("warm entry %s is gone after the first command's trim", name)
			break
		}
	}

	// Second command, as uid 1000 with no passwd entry, other packages.
	os.Chmod(filepath.Join(root, "src"), 0o777)
	writeModule(t, filepath.Join(root, "src", "other"), otherProgram)
	os.Chown(filepath.Join(root, "src", "other"), 1000, 1000)
	out = runGo(t, root, 1000, "/src/other", "build", "-x", "-o", "/tmp/other", ".")
	checkNoStdCompile(t, "uid 1000: go build of a program importing encoding/json, os/exec, crypto/tls, testing", out)
	mine := 0
	filepath.WalkDir(cacheDir, func(p string, d os.DirEntry, err error) error {
		if fi, err := os.Stat(p); err == nil && ownerOf(fi) == 1000 && !d.IsDir() {
			mine++
		}
		return nil
	})
	if mine == 0 {
		t.Error("uid 1000 wrote no entry into the warm cache")
	}
}

// checkLayout checks the unpacked cache: 1777 directories, no trim.txt,
// future times, action entries dated at the image time.
func checkLayout(t *testing.T, dir string, imageTime time.Time) {
	t.Helper()
	for _, d := range []string{".", "00", "ff"} {
		fi, err := os.Stat(filepath.Join(dir, d))
		if err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
			t.Errorf("cache directory %s: %v, %v; want drwxrwxrwt", d, fi.Mode(), err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "trim.txt")); err == nil {
		t.Error("the layer has a trim.txt")
	}
	actions, _ := filepath.Glob(filepath.Join(dir, "*", "*-a"))
	if len(actions) == 0 {
		t.Fatal("no action entries in the cache")
	}
	fi, _ := os.Stat(actions[0])
	if want := KeepUntil(imageTime); !fi.ModTime().Equal(want) {
		t.Errorf("%s: mtime %v, want %v", actions[0], fi.ModTime(), want)
	}
	b, _ := os.ReadFile(actions[0])
	if f := strings.Fields(string(b)); len(f) != 5 || f[4] != strconvI(imageTime.UnixNano()) {
		t.Errorf("action entry %q: want its time field at the image time %d", b, imageTime.UnixNano())
	}
}

// cacheEntries lists the -a and -d entries below dir.
func cacheEntries(t *testing.T, dir string) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	for _, pat := range []string{"*-a", "*-d"} {
		found, _ := filepath.Glob(filepath.Join(dir, "*", pat))
		for _, f := range found {
			rel, _ := filepath.Rel(dir, f)
			m[rel] = true
		}
	}
	if len(m) == 0 {
		t.Fatal("the unpacked cache has no entries")
	}
	return m
}

// runGo runs the image's go command in the sandbox as uid (uid:uid).
func runGo(t *testing.T, root string, uid int, dir string, args ...string) string {
	t.Helper()
	sb := &sandbox.Sandbox{Root: root, UID: uid, GID: uid}
	env := append([]string{"HOME=/"}, testEnv...)
	cmd := sb.Command(context.Background(), filepath.Join(root, dir), env, append([]string{"/usr/local/go/bin/go"}, args...))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s as %d: %v\n%s", strings.Join(args, " "), uid, err, out.String())
	}
	t.Logf("go %s as uid %d: %v", strings.Join(args, " "), uid, time.Since(start).Round(10*time.Millisecond))
	return out.String()
}

// checkNoStdCompile fails if go build -x output compiles a package other
// than main, or runs cgo.
func checkNoStdCompile(t *testing.T, what, out string) {
	t.Helper()
	std, sawMain := CompiledStd(out)
	if len(std) > 0 {
		t.Errorf("%s compiled %d standard-library packages: %v", what, len(std), std)
	}
	if !sawMain {
		t.Errorf("%s: no compile of package main in the -x output; the check would prove nothing:\n%s", what, out)
	}
}

func writeModule(t *testing.T, dir, main string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644)
}

const helloHTTP = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	fmt.Println(http.ListenAndServe(":8080", nil))
}
`

const otherProgram = `package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
)

func main() {
	b, _ := json.Marshal(tls.Config{})
	fmt.Println(len(b), exec.Command("true").Path, testing.Short())
}
`

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func ownerOf(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
