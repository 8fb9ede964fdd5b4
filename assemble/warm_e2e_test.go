package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/enginetest"
	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// TestWarmCacheEndToEnd builds a real go1.26 image with --warm-cache std
// dated 40 days ago (SOURCE_DATE_EPOCH), in one process with the suite's
// shared cache, then again in another process with a fresh cache of its
// own (the suite's one fresh-cache warm): the digests must be the same.
// Both take the privilege-free host path (scratch has no C compiler), so
// this is also its proof of determinism across processes; TestWarmStd
// compares it with the sandbox path.
// The first image is run with podman as root and as a user with no passwd
// entry: a net/http hello world and then a second program in the same
// container compile no standard-library package (the warm entries outlive
// the go command's 5-day trim), and a third build with the shared cache
// reuses every layer. gorootimg verify --warm-only checks the first image
// and the same image with part of its cache hidden (warmVerify).
func TestWarmCacheEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: warming std takes minutes")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: the warm-cache sandbox needs root; CI runs as root")
	}
	needProxy(t)
	st := enginetest.NewStore(t)
	bin := gorootimgBin(t)
	work := t.TempDir()
	// 40 days ago, on a whole day, so that a rerun the same day finds the
	// first image's layers (the warm one too) in the shared cache.
	sde := fmt.Sprint(time.Now().Add(-40 * 24 * time.Hour).Truncate(24 * time.Hour).Unix())
	// shared is the cache every test uses (the SDK is downloaded and the
	// GOROOT layers assembled once per suite); fresh is the one cache of
	// the suite that starts empty for a warm: the fresh-cache warm proof.
	shared, fresh := fixture.CacheDir(t), filepath.Join(work, "fresh")
	build := func(cache, out string) (digest string, cached bool) {
		t.Helper()
		stdout, err := run(t, bin, []string{"SOURCE_DATE_EPOCH=" + sde, "GOROOTIMG_CACHE=" + cache},
			"build", "--go", "1.26", "--warm-cache", "std", "--json", "--oci-layout", filepath.Join(work, out),
			"--tarball", filepath.Join(work, out+".tar"), "-t", "localhost/warm:"+out)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Digest string `json:"digest"`
			Cached bool   `json:"cached"`
			Report *Report
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("build --json: %v\n%s", err, stdout)
		}
		if wc := res.Report.Platforms[0].WarmCache; wc == nil || wc.Layer.Files < 1000 {
			t.Fatalf("report's warm cache = %+v, want a layer of the std cache", wc)
		} else if wc.Path != "host" {
			t.Errorf("report's warm cache path = %q, want host (a scratch image: no C compiler)", wc.Path)
		}
		return res.Digest, res.Cached
	}
	first, _ := build(shared, "a")

	t.Run("verify", func(t *testing.T) {
		warmVerify(t, bin, []string{"GOROOTIMG_CACHE=" + shared}, filepath.Join(work, "a"))
	})

	t.Run("podman", func(t *testing.T) {
		if _, err := enginetest.Exec(st.Podman(context.Background(), "load", "-i", filepath.Join(work, "a.tar"))); err != nil {
			t.Fatal(err)
		}
		for _, user := range []string{"0:0", "1000:1000"} {
			t.Run("user "+user, func(t *testing.T) { warmInPodman(t, st, user) })
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		second, _ := build(fresh, "b")
		if second != first {
			t.Errorf("second build in another process with its own cache = %s, want %s", second, first)
		}
		third, cached := build(shared, "c")
		if third != first || !cached {
			t.Errorf("rebuild with the first cache = %s (cached %v), want %s from the cache", third, cached, first)
		}
	})
}

// stdCompile matches a compile of a package in go build -x output.
var stdCompile = regexp.MustCompile(`/compile .* -p (\S+) `)

// warmInPodman builds two programs, one after the other, in one
// container of the warm image as user, and fails on any compile of a
// package other than main.
func warmInPodman(t *testing.T, st *enginetest.Store, user string) {
	src := t.TempDir()
	os.Chmod(src, 0o777)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/m\n\ngo 1.21\n"), 0o666)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(warmHello), 0o666)
	name := "warm-" + strings.ReplaceAll(user, ":", "-")
	ctx := context.Background()
	args := append(enginetest.RunArgs("--network", "none", "--user", user, "-v", src+":/src", "-w", "/src", "--name", name),
		"localhost/warm:a", "go", "build", "-x", "-o", "/tmp/out", ".")
	args = append([]string{"run"}, args[2:]...) // keep the container for its second command
	for i, prog := range []string{warmHello, warmOther} {
		os.WriteFile(filepath.Join(src, "main.go"), []byte(prog), 0o666)
		cmd := st.Podman(ctx, args...)
		if i > 0 {
			cmd = st.Podman(ctx, "start", "-a", name)
		}
		r, err := enginetest.Exec(cmd)
		if err != nil {
			t.Fatal(err)
		}
		out := r.Stdout + r.Stderr
		t.Logf("command %d as %s: go build took %v", i+1, user, r.Took.Round(10*time.Millisecond))
		var std []string
		for _, m := range stdCompile.FindAllStringSubmatch(out, -1) {
			if m[1] != "main" {
				std = append(std, m[1])
			}
		}
		if len(std) > 0 {
			t.Errorf("command %d as %s compiled %d standard-library packages: %v", i+1, user, len(std), std)
		}
		if !strings.Contains(out, "-p main ") {
			t.Errorf("command %d as %s: no compile of package main in the -x output; the check would prove nothing:\n%s", i+1, user, enginetest.Tail(out, 3000))
		}
	}
	st.Podman(ctx, "rm", "-f", name).Run()
}

const warmHello = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	fmt.Println(http.ListenAndServe(":8080", nil))
}
`

const warmOther = `package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os/exec"
)

func main() {
	b, _ := json.Marshal(tls.Config{})
	fmt.Println(string(b), exec.Command("true").String())
}
`
