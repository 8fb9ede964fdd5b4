package sandbox

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// tarEntry is one entry of a test layer.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

// testTime is the time of every test layer entry.
var testTime = time.Date(2025, 1, 31, 18, 38, 3, 0, time.UTC)

func testLayer(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Size: int64(len(e.body)), ModTime: testTime}
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
	if err := ExtractImage(context.Background(), img, dst); err != nil {
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
	// Times are kept, as an engine keeps them (the go command's package
	// index is keyed on them).
	for _, name := range []string{"usr/bin/tool", "usr/bin", "etc/new"} {
		if fi, err := os.Stat(filepath.Join(dst, name)); err != nil || !fi.ModTime().Equal(testTime) {
			t.Errorf("%s: mtime %v, %v; want %v", name, fi.ModTime(), err, testTime)
		}
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
			err := Untar(context.Background(), &buf, t.TempDir())
			if err == nil {
				t.Errorf("Untar succeeded, want an error")
			}
			if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
				t.Fatal("Untar wrote outside its destination")
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
	if err := PrepareRoot(root); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "work"), 0o755)
	ref := t.TempDir()
	os.WriteFile(filepath.Join(ref, "VERSION"), []byte("go1.99\n"), 0o644)
	cache := t.TempDir()
	os.Chmod(cache, 0o777) // for uid 1000 too
	sb := &Sandbox{Root: root, Binds: map[string]string{"/ref": ref}, WritableBinds: map[string]string{"/cache": cache}}
	if err := sb.PrepareBinds(); err != nil {
		t.Fatal(err)
	}
	for _, user := range []int{0, 1000} {
		sb.UID, sb.GID = user, user
		cmd := sb.Command(context.Background(), filepath.Join(root, "work"), []string{"FOO=" + filepath.Join(root, "work") + ":/x"}, []string{bin})
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sandboxed probe as %d: %v\n%s", user, err, out)
		}
		want := []string{
			"wd=/work",
			"env=[FOO=/work:/x]",
			"pid=1",
			"devnull=true",
			"ref=go1.99",
			"refwritable=false",
			"cachewritable=true",
			"hostroot=false",
			fmt.Sprintf("user=%d:%d", user, user),
		}
		got := strings.Fields(string(out))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("sandboxed program (uid %d) saw\n%s\nwant\n%s", user, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	for _, user := range []int{0, 1000} {
		if _, err := os.Stat(filepath.Join(cache, fmt.Sprint(user))); err != nil {
			t.Errorf("the writable bind did not reach the host: %v", err)
		}
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
	err = os.WriteFile(fmt.Sprintf("/cache/%d", os.Getuid()), nil, 0o644)
	fmt.Printf("cachewritable=%v\n", err == nil)
	_, err = os.Stat("/usr/local/go/bin/go")
	fmt.Printf("hostroot=%v\n", err == nil)
	fmt.Printf("user=%d:%d\n", os.Getuid(), os.Getgid())
}
`

func TestSandboxInside(t *testing.T) {
	// The reference SDK may live at a path the image also has (--reference
	// local gives /usr/local/go): a path is rewritten once, never twice.
	sb := &Sandbox{Root: "/w/rootfs", Binds: map[string]string{"/ref/go": "/cache/sdk/abc", "/gorootimg-ref/go": "/usr/local/go"}}
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
		if got := sb.Inside(tc.in); got != tc.want {
			t.Errorf("Inside(%q) = %q, want %q", tc.in, got, tc.want)
		}
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
	if err := PrepareRoot(root); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := (&Sandbox{Root: root}).Command(ctx, root, nil, []string{filepath.Join(root, "sleeper")})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := false
	for i := 0; i < 600 && !started; i++ {
		_, err := os.Stat(filepath.Join(root, "started"))
		started = err == nil
		if !started {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !started {
		cancel()
		cmd.Wait()
		t.Fatal("the sandboxed program never started: nothing to cancel")
	}
	if n := len(processesIn(root)); n == 0 {
		t.Fatal("no process has the sandbox root as its root before cancel")
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
