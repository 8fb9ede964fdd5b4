package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/rootfs"
	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/testenv"
	"github.com/gorootimg/gorootimg/warmcache"
)

// TestLLBWarmCache builds `gorootimg llb --warm-cache std` for go1.26 on
// scratch with a real buildkitd (the image's go builds the driver and
// the standard library inside the build), then checks the image's config
// and that go build -x of a net/http hello in the unpacked image compiles
// no standard-library package: through the go front with GOCACHE mounted
// read-only (a read-only root), and with the image's go itself. It fetches a real release and builds std
// in BuildKit (87 s on the shared 2-core machine, the release already
// fetched, buildkitd already built); GOROOTIMG_LLB_WARM=0 skips it.
func TestLLBWarmCache(t *testing.T) {
	if testing.Short() || os.Getenv("GOROOTIMG_LLB_WARM") == "0" {
		t.Skip("skipping: fetches go1.26 and builds std in buildkitd (-short or GOROOTIMG_LLB_WARM=0)")
	}
	t.Parallel() // after the serial tests, beside TestBuildKitEndToEnd (own buildkitd)
	testenv.NeedRoot(t)
	testenv.NeedTool(t, append([]string{"runc"}, sandbox.Tools...)...)
	ctx := context.Background()
	bk := buildkittest.Start(t, buildkittest.Options{})
	work := t.TempDir()
	prep := filepath.Join(work, "prep")
	start := time.Now()
	def, _ := gorootimgOK(t, "llb", "--go", "1.26", "--platform", "linux/amd64", "--warm-cache", "std", "--prepare", prep)
	pdir := filepath.Join(prep, "linux-amd64")
	attr, err := os.ReadFile(filepath.Join(pdir, "output-attr"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "oci")
	bk.Buildctl(ctx, t, []byte(def), "build", "--local", "goroot="+filepath.Join(pdir, "goroot"),
		"--output", "type=oci,tar=false,dest="+out+","+strings.TrimSpace(string(attr)))
	t.Logf("llb --prepare and buildctl build: %v", time.Since(start).Round(time.Second))

	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Labels[imageconfig.LabelWarmCache]; got != "std" {
		t.Errorf("label %s = %q, want std", imageconfig.LabelWarmCache, got)
	}
	if got := envMap(cf.Config.Env)["GOCACHE"]; got != rootfs.GOCACHE {
		t.Errorf("GOCACHE = %q, want %s", got, rootfs.GOCACHE)
	}

	root := filepath.Join(work, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.ExtractImage(ctx, img, root); err != nil {
		t.Fatal(err)
	}
	if err := sandbox.PrepareRoot(root); err != nil {
		t.Fatal(err)
	}
	hello := filepath.Join(root, "go", "src", "hello")
	if err := os.MkdirAll(hello, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, s := range map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() { fmt.Println(http.StatusOK) }\n",
	} {
		if err := os.WriteFile(filepath.Join(hello, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// First through the go front with GOCACHE mounted read-only, as under
	// a read-only root; then the image's go itself, GOCACHE writable.
	for i, run := range []struct {
		name  string
		sb    *sandbox.Sandbox
		goCmd string
	}{
		{"the go front, GOCACHE read-only", &sandbox.Sandbox{Root: root, Binds: map[string]string{rootfs.GOCACHE: filepath.Join(root, rootfs.GOCACHE)}}, cacheprog.ImagePath},
		{"the image's go", &sandbox.Sandbox{Root: root}, "/usr/local/go/bin/go"},
	} {
		// A new output each time: go build skips a link whose output is up to date.
		cmd := run.sb.Command(ctx, hello, append([]string{"HOME=/"}, cf.Config.Env...), []string{run.goCmd, "build", "-x", "-o", "/tmp/hello-" + strconv.Itoa(i), "."})
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		if err := cmd.Run(); err != nil {
			t.Fatalf("go build -x in the image with %s: %v\n%s", run.name, err, tailString(b.String(), 4000))
		}
		compiled, sawMain := warmcache.CompiledStd(b.String())
		if len(compiled) > 0 {
			t.Errorf("go build of a net/http hello with %s compiled %d standard-library packages: %v", run.name, len(compiled), compiled)
		}
		if !sawMain {
			t.Errorf("with %s: no compile of package main in the -x output; the check would prove nothing:\n%s", run.name, tailString(b.String(), 4000))
		}
		// The front took the read-only path: its link farm, stamped, in /tmp.
		if stamp := filepath.Join(root, "tmp", "gorootimg-go-build-0", "gorootimg-stamp"); i == 0 {
			if _, err := os.Stat(stamp); err != nil {
				t.Errorf("with %s: no link farm: %v", run.name, err)
			}
		}
	}
	t.Logf("whole test: %v", time.Since(start).Round(time.Second))
}
