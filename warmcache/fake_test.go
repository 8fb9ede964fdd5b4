package warmcache

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// fakeGo is a go command that answers go env and, on go build, writes a
// cache the way the real one does (a README, trim.txt, an action entry
// with the current time, an output), or fails when FAKE_FAIL is set.
const fakeGo = `package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	c := os.Getenv("GOCACHE")
	switch os.Args[1] {
	case "env":
		fmt.Printf("{\"GOVERSION\":\"go1.26.0\",\"GOOS\":\"linux\",\"GOARCH\":\"amd64\",\"CGO_ENABLED\":\"0\",\"CC\":\"gcc\",\"GOCACHE\":%q}\n", c)
		return
	case "build":
		if os.Getenv("FAKE_FAIL") != "" {
			fmt.Fprintln(os.Stderr, "go: cannot build: the toolchain is broken")
			os.Exit(2)
		}
	}
	os.MkdirAll(filepath.Join(c, "ab"), 0o777)
	os.MkdirAll(filepath.Join(c, "cd", "cdef-d"), 0o777)
	os.WriteFile(filepath.Join(c, "README"), []byte("This directory holds cached build artifacts from the Go build system.\n"), 0o666)
	os.WriteFile(filepath.Join(c, "trim.txt"), []byte(fmt.Sprint(time.Now().Unix())), 0o666)
	id := fmt.Sprintf("%064x", 0xab)
	entry := fmt.Sprintf("v1 %s %064x %20d %20d\n", id, 0xcd, 3, time.Now().UnixNano())
	os.WriteFile(filepath.Join(c, "ab", id+"-a"), []byte(entry), 0o666)
	os.WriteFile(filepath.Join(c, "cd", fmt.Sprintf("%064x", 0xcd)+"-d"), []byte("obj"), 0o666)
	os.WriteFile(filepath.Join(c, "cd", "cdef-d", "covdata"), []byte("exe"), 0o777)
}
`

// fakeRoot makes a root whose /usr/local/go/bin/go is fakeGo.
func fakeRoot(t *testing.T) string {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedTool(t, sandbox.Tools...)
	root := t.TempDir()
	src := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(src, []byte(fakeGo), 0o644)
	bin := filepath.Join(root, "usr", "local", "go", "bin", "go")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the fake go: %v\n%s", err, out)
	}
	version := filepath.Join(root, "usr", "local", "go", "VERSION")
	os.WriteFile(version, []byte("go1.26.0\n"), 0o644)
	old := time.Date(2026, 11, 2, 20, 36, 21, 0, time.UTC)
	os.Chtimes(version, old, old)
	return root
}

var fakeEnv = []string{"PATH=/usr/local/go/bin", "GOROOT=/usr/local/go", "GOCACHE=/root/.cache/go-build"}

// TestWarmNormalises: two warms whose go command writes different times
// give the same entries and layer; modes, times and parents are as
// documented.
func TestWarmNormalises(t *testing.T) {
	imageTime := time.Date(2026, 11, 2, 20, 36, 21, 0, time.UTC)
	var digests []string
	for range 2 {
		root := fakeRoot(t)
		os.MkdirAll(filepath.Join(root, "root"), 0o700)
		res, err := Warm(context.Background(), Image{Root: root, Env: fakeEnv, Time: imageTime}, []Variant{Std})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, e := range res.Entries {
			got[e.Name] = fmt.Sprintf("%v %v", e.Mode, e.ModTime.Format(time.RFC3339))
		}
		keep := KeepUntil(imageTime).Format(time.RFC3339)
		want := map[string]string{
			"root":                        "drwx------ 0001-01-01T00:00:00Z",
			"root/.cache":                 "drwxr-xr-x 0001-01-01T00:00:00Z",
			"root/.cache/go-build":        "dtrwxrwxrwx " + keep,
			"root/.cache/go-build/README": "-rw-r--r-- " + keep,
			"root/.cache/go-build/ab":     "dtrwxrwxrwx " + keep,
			"root/.cache/go-build/ab/" + fmt.Sprintf("%064x", 0xab) + "-a": "-rw-r--r-- " + keep,
			"root/.cache/go-build/cd":                                      "dtrwxrwxrwx " + keep,
			"root/.cache/go-build/cd/" + fmt.Sprintf("%064x", 0xcd) + "-d": "-rw-r--r-- " + keep,
			"root/.cache/go-build/cd/cdef-d":                               "drwxr-xr-x " + keep,
			"root/.cache/go-build/cd/cdef-d/covdata":                       "-rwxr-xr-x " + keep,
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("entry %s = %q, want %q", name, got[name], w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("entries = %v, want exactly %v (no trim.txt)", got, want)
		}
		if len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "/root is 0700") || !strings.Contains(strings.Join(res.Notes, "\n"), "cgo is off") {
			t.Errorf("notes = %q, want the 0700 parent and cgo off", res.Notes)
		}
		a, _ := os.ReadFile(filepath.Join(root, "root/.cache/go-build/ab", fmt.Sprintf("%064x", 0xab)+"-a"))
		if !strings.HasSuffix(string(a), fmt.Sprintf(" %20d\n", imageTime.UnixNano())) {
			t.Errorf("action entry = %q, want the image time %d", a, imageTime.UnixNano())
		}
		if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
			t.Errorf("Warm left %v in /tmp", ents)
		}
		l, err := layers.Write(context.Background(), filepath.Join(t.TempDir(), "l"), res.Entries, layers.WithMTime(imageTime))
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, l.Digest.String())
		time.Sleep(10 * time.Millisecond)
	}
	if digests[0] != digests[1] {
		t.Errorf("two warms = %s and %s, want the same layer", digests[0], digests[1])
	}
}

func TestWarmErrors(t *testing.T) {
	imageTime := time.Date(2026, 11, 2, 20, 36, 21, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		env   []string
		list  []Variant
		setup func(root string)
		want  string
	}{
		{"build fails", append([]string{"FAKE_FAIL=1"}, fakeEnv...), []Variant{Std}, nil,
			"go build std: exit status 2\ngo: cannot build: the toolchain is broken"},
		{"race without cgo", append([]string{"FAKE_FAIL=1"}, fakeEnv...), []Variant{Race}, nil,
			"the race detector needs a C compiler and the image has none"},
		{"no GOCACHE", []string{"GOROOT=/usr/local/go"}, []Variant{Std}, nil, `GOCACHE is "", want an absolute clean path`},
		{"relative GOCACHE", []string{"GOROOT=/usr/local/go", "GOCACHE=cache"}, []Variant{Std}, nil, `GOCACHE is "cache"`},
		{"cache not empty", fakeEnv, []Variant{Std}, func(root string) {
			os.MkdirAll(filepath.Join(root, "root/.cache/go-build"), 0o755)
			os.WriteFile(filepath.Join(root, "root/.cache/go-build/x"), nil, 0o644)
		}, "/root/.cache/go-build is not empty"},
		{"parent is a file", fakeEnv, []Variant{Std}, func(root string) {
			os.WriteFile(filepath.Join(root, "root"), nil, 0o644)
		}, "/root in the image is not a directory"},
		{"fresh GOROOT", fakeEnv, []Variant{Std}, func(root string) {
			os.Chtimes(filepath.Join(root, "usr/local/go/VERSION"), time.Now(), time.Now())
		}, "not its layer's time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeRoot(t)
			if tc.setup != nil {
				tc.setup(root)
			}
			_, err := Warm(context.Background(), Image{Root: root, Env: tc.env, Time: imageTime}, tc.list)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Warm = %v, want error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Warm(context.Background(), Image{Root: t.TempDir(), Env: fakeEnv}, []Variant{Std}); err == nil || !strings.Contains(err.Error(), "time") {
		t.Errorf("Warm without a time = %v, want an error", err)
	}
}

func TestKeepUntil(t *testing.T) {
	for _, tc := range []struct{ in, want time.Time }{
		{time.Date(2026, 11, 2, 20, 36, 21, 5, time.UTC), time.Date(2036, 11, 2, 20, 36, 21, 0, time.UTC)},
		{time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1<<31-1, 0).UTC()},
	} {
		if got := KeepUntil(tc.in); !got.Equal(tc.want) {
			t.Errorf("KeepUntil(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
