package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/internal/testenv"
	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
)

// tarEntry is one entry of a test layer.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func testLayer(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestExtractRootfs(t *testing.T) {
	l1 := testLayer(t,
		tarEntry{name: "usr/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "usr/bin/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "usr/bin/tool", body: "#!/bin/sh\n", mode: 0o755},
		tarEntry{name: "bin", typ: tar.TypeSymlink, link: "usr/bin"},
		tarEntry{name: "etc/gone", body: "x"},
		tarEntry{name: "etc/hard", typ: tar.TypeLink, link: "usr/bin/tool"},
		tarEntry{name: "escape", typ: tar.TypeSymlink, link: "/"},
	)
	l2 := testLayer(t,
		tarEntry{name: "etc/.wh.gone"},
		tarEntry{name: "etc/new", body: "new"},
	)
	img, err := mutate.AppendLayers(empty.Image, l1, l2)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := extractRootfs(context.Background(), img, dst); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want string // "" = must not exist
	}{
		{"usr/bin/tool", "#!/bin/sh\n"},
		{"bin/tool", "#!/bin/sh\n"},
		{"etc/hard", "#!/bin/sh\n"},
		{"etc/new", "new"},
		{"etc/gone", ""},
	} {
		b, err := os.ReadFile(filepath.Join(dst, tc.name))
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s exists after its whiteout", tc.name)
		case tc.want != "" && string(b) != tc.want:
			t.Errorf("ReadFile(%s) = %q, %v; want %q", tc.name, b, err, tc.want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dst, "usr/bin/tool")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("usr/bin/tool mode = %v, %v; want 0755", fi.Mode(), err)
	}
}

// TestUntarRefusesEscape: a file written through a symlink to a
// directory outside, or with "..", must not land outside the destination.
func TestUntarRefusesEscape(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries func(outside string) []tarEntry
	}{
		{"absolute symlink", func(outside string) []tarEntry {
			return []tarEntry{{name: "out", typ: tar.TypeSymlink, link: outside}, {name: "out/pwned", body: "x"}}
		}},
		{"relative symlink", func(outside string) []tarEntry {
			return []tarEntry{{name: "out", typ: tar.TypeSymlink, link: "../../../../../../../../.." + outside}, {name: "out/pwned", body: "x"}}
		}},
		{"hard link", func(outside string) []tarEntry {
			return []tarEntry{{name: "x", typ: tar.TypeSymlink, link: outside}, {name: "pwned", typ: tar.TypeLink, link: "x/victim"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outside := t.TempDir()
			os.WriteFile(filepath.Join(outside, "victim"), []byte("v"), 0o644)
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, e := range tc.entries(outside) {
				h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link, Size: int64(len(e.body))}
				if h.Typeflag == 0 {
					h.Typeflag = tar.TypeReg
				}
				tw.WriteHeader(h)
				io.WriteString(tw, e.body)
			}
			tw.Close()
			err := untar(context.Background(), &buf, t.TempDir())
			if err == nil {
				t.Errorf("untar succeeded, want an error")
			}
			if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
				t.Fatal("untar wrote outside its destination")
			}
		})
	}
}

// TestSandbox runs a static program inside a sandbox and checks what it
// sees: its work dir, exactly the environment given, /proc of a new PID
// namespace, /dev/null, the read-only bind, and nothing of the host.
func TestSandbox(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTool(t, "unshare", "mount")
	root := t.TempDir()
	bin := filepath.Join(root, "bin", "probe")
	src := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(src, []byte(probeProgram), 0o644)
	build := exec.Command("go", "build", "-o", bin, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building probe program: %v\n%s", err, out)
	}
	if err := prepareSandboxRoot(root); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "work"), 0o755)
	ref := t.TempDir()
	os.WriteFile(filepath.Join(ref, "VERSION"), []byte("go1.99\n"), 0o644)
	sb := &sandbox{Root: root, Binds: map[string]string{"/ref": ref}}
	if err := sb.prepareBinds(); err != nil {
		t.Fatal(err)
	}
	cmd := sb.command(context.Background(), filepath.Join(root, "work"), []string{"FOO=" + filepath.Join(root, "work") + ":/x"}, []string{bin})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sandboxed probe: %v\n%s", err, out)
	}
	want := []string{
		"wd=/work",
		"env=[FOO=/work:/x]",
		"pid=1",
		"devnull=true",
		"ref=go1.99",
		"refwritable=false",
		"hostroot=false",
	}
	got := strings.Fields(string(out))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sandboxed program saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing stays mounted on the host.
	mounts, _ := os.ReadFile("/proc/self/mounts")
	if strings.Contains(string(mounts), root) {
		t.Errorf("host mounts still mention the sandbox root:\n%s", mounts)
	}
}

const probeProgram = `package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	wd, _ := os.Getwd()
	fmt.Printf("wd=%s\n", wd)
	fmt.Printf("env=%v\n", os.Environ())
	// In a new PID namespace, the first process is 1 (sh execs unshare, which execs us).
	b, _ := os.ReadFile("/proc/self/stat")
	fmt.Printf("pid=%s\n", strings.Fields(string(b)+" ?")[0])
	fi, err := os.Stat("/dev/null")
	fmt.Printf("devnull=%v\n", err == nil && fi.Mode()&os.ModeCharDevice != 0)
	v, _ := os.ReadFile("/ref/VERSION")
	fmt.Printf("ref=%s\n", strings.TrimSpace(string(v)))
	err = os.WriteFile("/ref/x", nil, 0o644)
	fmt.Printf("refwritable=%v\n", err == nil)
	_, err = os.Stat("/usr/local/go/bin/go")
	fmt.Printf("hostroot=%v\n", err == nil)
}
`

func TestSandboxInside(t *testing.T) {
	// The reference SDK may live at a path the image also has (--reference
	// local gives /usr/local/go): a path is rewritten once, never twice.
	sb := &sandbox{Root: "/w/rootfs", Binds: map[string]string{"/ref/go": "/cache/sdk/abc", "/gorootimg-ref/go": "/usr/local/go"}}
	for _, tc := range []struct{ in, want string }{
		{"/w/rootfs", "/"},
		{"/w/rootfs/usr/local/go/bin/go", "/usr/local/go/bin/go"},
		{"GOROOT=/cache/sdk/abc", "GOROOT=/ref/go"},
		{"PATH=/cache/sdk/abc/bin:/usr/bin", "PATH=/ref/go/bin:/usr/bin"},
		{"PATH=/w/rootfs/usr/local/go/bin:/usr/bin", "PATH=/usr/local/go/bin:/usr/bin"},
		{"-coverprofile=/w/rootfs/tmp/out", "-coverprofile=/tmp/out"},
		{"/w/rootfs2/x", "/w/rootfs2/x"},
		{"/x/w/rootfs/y", "/x/w/rootfs/y"},
		{"GOROOT=/w/rootfs:x", "GOROOT=/:x"},
		{"GOROOT=/w/rootfs/usr/local/go", "GOROOT=/usr/local/go"},
		{"GOROOT=/usr/local/go", "GOROOT=/gorootimg-ref/go"},
		{"PATH=/w/rootfs/usr/local/go/bin:/usr/local/go/bin", "PATH=/usr/local/go/bin:/gorootimg-ref/go/bin"},
	} {
		if got := sb.inside(tc.in); got != tc.want {
			t.Errorf("inside(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindCC(t *testing.T) {
	root := t.TempDir()
	// Debian's layout: /bin -> usr/bin, cc -> /etc/alternatives/cc -> /usr/bin/gcc-12.
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc/alternatives"), 0o755)
	os.Symlink("usr/bin", filepath.Join(root, "bin"))
	if got := findCC(root); got != "" {
		t.Errorf("findCC(empty root) = %q, want none", got)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/gcc-12"), []byte("#!"), 0o755)
	os.Symlink("/etc/alternatives/cc", filepath.Join(root, "usr/bin/cc"))
	os.Symlink("/usr/bin/gcc-12", filepath.Join(root, "etc/alternatives/cc"))
	if got := findCC(root); got != "/usr/bin/cc" {
		t.Errorf("findCC = %q, want /usr/bin/cc (through absolute symlinks inside the root)", got)
	}
	// A symlink pointing at the host's gcc does not count.
	os.Remove(filepath.Join(root, "etc/alternatives/cc"))
	os.Symlink("/nonexistent-in-root/gcc", filepath.Join(root, "etc/alternatives/cc"))
	if got := findCC(root); got != "" {
		t.Errorf("findCC with a dangling link = %q, want none", got)
	}
}

func TestRequiredCapabilities(t *testing.T) {
	all := len(probes.AllCapabilities)
	for _, tc := range []struct {
		label, version string
		want           []probes.Capability
		wantAll        bool
	}{
		{label: "", version: "go1.26.11", wantAll: true},
		{label: "full", version: "go1.22.12", wantAll: true},
		{label: "my-recipe.yaml", version: "go1.26.11", wantAll: true},
		{label: "minimal", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO}},
		{label: "build", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross}},
		// ci promises pprof and trace only where Go builds them on demand.
		{label: "ci", version: "go1.22.12", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools}},
		{label: "ci", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools, probes.Profile}},
		{label: "ci-native", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools, probes.Profile}},
	} {
		rep := &Report{Recipe: tc.label, GoVersion: tc.version}
		r, err := (&options{}).resolveRecipe(rep)
		if err != nil {
			t.Fatalf("resolveRecipe(%q): %v", tc.label, err)
		}
		got, err := capabilitiesOf(r, tc.version)
		if err != nil {
			t.Fatalf("capabilitiesOf(%q, %s): %v", tc.label, tc.version, err)
		}
		switch {
		case tc.wantAll && len(got) != all:
			t.Errorf("capabilities of label %q = %v (%s), want all %d", tc.label, got, rep.CapabilitySource, all)
		case !tc.wantAll && !slices.Equal(got, tc.want):
			t.Errorf("capabilities of label %q on %s = %v, want %v", tc.label, tc.version, got, tc.want)
		}
	}
	// --recipe wins over the label.
	r, err := recipes.Lookup("build")
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{Recipe: "ci", GoVersion: "go1.26.11"}
	got, err := (&options{recipe: r}).capabilities(rep, r)
	if err != nil || slices.Contains(got, probes.Vet) || !slices.Contains(got, probes.Cross) || rep.CapabilitySource != "" {
		t.Errorf("capabilities(build recipe, label ci) = %v, %v (source %q), want build's", got, err, rep.CapabilitySource)
	}
}

// TestSandboxCancel: canceling the context kills everything in the
// sandbox, not only the unshare process the caller started.
func TestSandboxCancel(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTool(t, "unshare", "mount")
	root := t.TempDir()
	src := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(src, []byte("package main\n\nimport (\n\t\"os\"\n\t\"time\"\n)\n\nfunc main() {\n\tos.WriteFile(\"/started\", nil, 0o644)\n\ttime.Sleep(time.Minute)\n}\n"), 0o644)
	build := exec.Command("go", "build", "-o", filepath.Join(root, "sleeper"), src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	if err := prepareSandboxRoot(root); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := (&sandbox{Root: root}).command(ctx, root, nil, []string{filepath.Join(root, "sleeper")})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cancel()
	started := false
	for i := 0; i < 600 && !started; i++ {
		_, err := os.Stat(filepath.Join(root, "started"))
		if started = err == nil; !started {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Without a running sandboxed process there is nothing to cancel: the
	// test would prove nothing.
	if !started {
		cancel()
		cmd.Wait()
		t.Fatal("the sandboxed program never started (no /started after 60s)")
	}
	if len(processesIn(root)) == 0 {
		t.Fatal("the sandboxed program started but no process has the sandbox as its root")
	}
	cancel()
	cmd.Wait()
	// Give the kernel a moment to reap the namespace.
	for i := 0; i < 50; i++ {
		if len(processesIn(root)) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("processes still running in the sandbox after cancel: %v", processesIn(root))
}

// processesIn lists the pids whose root directory is root.
func processesIn(root string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "root")); err == nil && l == root {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
