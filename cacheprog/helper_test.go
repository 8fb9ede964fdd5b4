package cacheprog

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// helperDir holds the helper helperBin built; TestMain removes it.
var helperDir string

// helperBin builds the helper once per test binary with the go command
// on PATH, for this host.
var helperBin = sync.OnceValues(func() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(goBin, "env", "GOROOT", "GOCACHE").Output()
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(out))
	dir, err := os.MkdirTemp("", "cacheprog-test-")
	if err != nil {
		return "", err
	}
	helperDir = dir
	bin := filepath.Join(dir, "gocacheprog")
	return bin, Build(context.Background(), f[0], runtime.GOOS, runtime.GOARCH, bin, f[1], os.Environ())
})

func TestMain(m *testing.M) {
	code := m.Run()
	if helperDir != "" {
		os.RemoveAll(helperDir)
	}
	os.Exit(code)
}

func helper(t *testing.T) string {
	t.Helper()
	bin, err := helperBin()
	if err != nil {
		t.Skipf("building the helper: %v", err)
	}
	return bin
}

// session runs the helper with env and speaks to it.
type session struct {
	t   *testing.T
	cmd *exec.Cmd
	enc *json.Encoder
	dec *json.Decoder
	in  *bufio.Writer
}

func start(t *testing.T, env []string, args ...string) *session {
	t.Helper()
	cmd := exec.Command(helper(t), args...)
	cmd.Env = env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(stdin)
	s := &session{t: t, cmd: cmd, enc: json.NewEncoder(bw), dec: json.NewDecoder(stdout), in: bw}
	var caps response
	if err := s.dec.Decode(&caps); err != nil || len(caps.KnownCommands) != 3 {
		t.Fatalf("capabilities = %+v, %v; want get, put, close", caps, err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	return s
}

// response is the helper's answer, as cmd/go/internal/cacheprog reads it.
type response struct {
	ID            int64
	Err           string
	KnownCommands []string
	Miss          bool
	OutputID      []byte
	Size          int64
	DiskPath      string
}

func (s *session) do(req map[string]any, body []byte) response {
	s.t.Helper()
	if err := s.enc.Encode(req); err != nil {
		s.t.Fatal(err)
	}
	s.in.WriteByte('\n') // the go command writes a blank line after a request
	if body != nil {
		b, _ := json.Marshal(body)
		s.in.Write(append(b, '\n'))
	}
	s.in.Flush()
	var r response
	if err := s.dec.Decode(&r); err != nil {
		s.t.Fatalf("reading response: %v", err)
	}
	return r
}

func id(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// putEntry writes an entry of the go command's on-disk format into dir.
func putEntry(t *testing.T, dir string, action []byte, data []byte, indexOutput []byte) {
	t.Helper()
	out := indexOutput
	if out == nil {
		h := sha256.Sum256(data)
		out = h[:]
	}
	write := func(id []byte, kind string, b []byte) {
		p := fileName(dir, id, kind)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	write(out, "d", data)
	write(action, "a", []byte(fmt.Sprintf("v1 %x %x %20d %20d\n", action, out, len(data), 1)))
}

func fileName(dir string, id []byte, kind string) string {
	h := fmt.Sprintf("%x", id)
	return filepath.Join(dir, h[:2], h+"-"+kind)
}

func TestGetWarmTier(t *testing.T) {
	warm, rw := t.TempDir(), t.TempDir()
	good := []byte("good output")
	putEntry(t, warm, id("good"), good, nil)
	h := sha256.Sum256(good)
	// corrupt: same size, other bytes than the output ID says.
	putEntry(t, warm, id("corrupt"), []byte("evil output"), id("claimed output"))
	// truncated: the index names the whole output; the file has part of it.
	full := []byte("the whole output")
	putEntry(t, warm, id("truncated"), full, nil)
	hf := sha256.Sum256(full)
	os.Chmod(fileName(warm, hf[:], "d"), 0o644)
	os.WriteFile(fileName(warm, hf[:], "d"), full[:5], 0o644)
	// foreign: garbage where an action entry should be.
	foreign := fileName(warm, id("foreign"), "a")
	os.MkdirAll(filepath.Dir(foreign), 0o755)
	os.WriteFile(foreign, []byte("not a cache entry\n"), 0o444)
	// another action's entry under this action's name.
	other := fileName(warm, id("other"), "a")
	os.MkdirAll(filepath.Dir(other), 0o755)
	os.WriteFile(other, []byte(fmt.Sprintf("v1 %x %x %20d %20d\n", id("good"), h[:], len(good), 1)), 0o444)

	s := start(t, []string{"GOROOTIMG_GOCACHE=" + rw}, "-warm", warm)
	tests := []struct {
		name string
		miss bool
	}{
		{"good", false}, {"corrupt", true}, {"truncated", true}, {"foreign", true}, {"other", true}, {"absent", true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(map[string]any{"ID": i + 1, "Command": "get", "ActionID": id(tc.name)}, nil)
			if r.Err != "" || r.Miss != tc.miss {
				t.Fatalf("get %s = %+v, want miss %v", tc.name, r, tc.miss)
			}
			if !tc.miss && (r.DiskPath != fileName(warm, h[:], "d") || r.Size != int64(len(good))) {
				t.Errorf("get %s: DiskPath %q, Size %d; want the warm file in place", tc.name, r.DiskPath, r.Size)
			}
		})
	}
}

func TestPut(t *testing.T) {
	warm, rw := t.TempDir(), t.TempDir()
	s := start(t, []string{"GOROOTIMG_GOCACHE=" + rw}, "-warm", warm)
	body := []byte("new output")
	r := s.do(map[string]any{"ID": 1, "Command": "put", "ActionID": id("a"), "OutputID": id(string(body)), "BodySize": len(body)}, body)
	if r.Err != "" || !strings.HasPrefix(r.DiskPath, rw+"/") {
		t.Fatalf("put = %+v, want a file in %s", r, rw)
	}
	if b, err := os.ReadFile(r.DiskPath); err != nil || string(b) != string(body) {
		t.Fatalf("put wrote %q, %v; want %q", b, err, body)
	}
	r = s.do(map[string]any{"ID": 2, "Command": "get", "ActionID": id("a")}, nil)
	if r.Miss || r.DiskPath == "" {
		t.Fatalf("get after put = %+v, want a hit", r)
	}
	// A body that is not its output ID is refused; so is a short ID.
	r = s.do(map[string]any{"ID": 3, "Command": "put", "ActionID": id("b"), "OutputID": id("other"), "BodySize": len(body)}, body)
	if r.Err == "" {
		t.Errorf("put of a body that is not its output ID = %+v, want an error", r)
	}
	r = s.do(map[string]any{"ID": 4, "Command": "put", "ActionID": []byte("../../x"), "OutputID": id(string(body)), "BodySize": len(body)}, body)
	if r.Err == "" {
		t.Errorf("put with a 7-byte action ID = %+v, want an error", r)
	}
	// No temporary file is left behind.
	m, _ := filepath.Glob(filepath.Join(rw, "*", ".tmp-*"))
	if len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if r := s.do(map[string]any{"ID": 5, "Command": "close"}, nil); r.Err != "" {
		t.Errorf("close = %+v", r)
	}
}

func TestNoWritableDir(t *testing.T) {
	// /dev/null is a file: nothing below it can be made, even by root.
	cmd := exec.Command(helper(t))
	cmd.Env = []string{"GOCACHE=/dev/null/go-build", "TMPDIR=/dev/null"}
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "mount a writable volume") {
		t.Fatalf("helper without a writable directory: %v, output %q; want one line naming what to mount", err, out)
	}
}

func TestSupported(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{{"go1.23.12", false}, {"go1.24", true}, {"go1.24.0", true}, {"go1.26rc1", true}, {"go1.9", false}, {"go1.100.1", true}} {
		if got := Supported(tc.v); got != tc.want {
			t.Errorf("Supported(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// TestCheckedMarker: a warm file checked by one run is trusted by the next
// only while its size and time are unchanged.
func TestCheckedMarker(t *testing.T) {
	warm, rw := t.TempDir(), t.TempDir()
	data := []byte("warm output")
	putEntry(t, warm, id("x"), data, nil)
	get := func() response {
		s := start(t, []string{"GOROOTIMG_GOCACHE=" + rw}, "-warm", warm)
		return s.do(map[string]any{"ID": 1, "Command": "get", "ActionID": id("x")}, nil)
	}
	if r := get(); r.Miss {
		t.Fatalf("first get = %+v, want a hit", r)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "checked-files")); err != nil || strings.Count(string(b), "\tok\n") != 1 {
		t.Fatalf("checked-files = %q, %v; want one record", b, err)
	}
	if r := get(); r.Miss {
		t.Fatalf("get with a marker = %+v, want a hit", r)
	}
	h := sha256.Sum256(data)
	p := fileName(warm, h[:], "d")
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("evil output"), 0o444); err != nil {
		t.Fatal(err)
	}
	if r := get(); !r.Miss {
		t.Fatalf("get after the warm file changed = %+v, want a miss", r)
	}
}

// TestCheckedLogTorn: a record of the checked-files log that a killed
// helper left incomplete vouches for nothing, and the next record is read
// on its own.
func TestCheckedLogTorn(t *testing.T) {
	warm, rw := t.TempDir(), t.TempDir()
	putEntry(t, warm, id("bad"), []byte("evil output"), id("claimed output"))
	good := []byte("good output")
	putEntry(t, warm, id("good"), good, nil)
	bad := fileName(warm, id("claimed output"), "d")
	fi, err := os.Stat(bad)
	if err != nil {
		t.Fatal(err)
	}
	torn := fmt.Sprintf("\n%s\t%d\t%d\to", bad, fi.Size(), fi.ModTime().UnixNano())
	if err := os.WriteFile(filepath.Join(rw, "checked-files"), []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, []string{"GOROOTIMG_GOCACHE=" + rw}, "-warm", warm)
	for i, tc := range []struct {
		name string
		miss bool
	}{{"bad", true}, {"good", false}} {
		if r := s.do(map[string]any{"ID": i + 1, "Command": "get", "ActionID": id(tc.name)}, nil); r.Err != "" || r.Miss != tc.miss {
			t.Errorf("get %s = %+v, want miss %v", tc.name, r, tc.miss)
		}
	}
	s.do(map[string]any{"ID": 3, "Command": "close"}, nil)
	b, _ := os.ReadFile(filepath.Join(rw, "checked-files"))
	h := sha256.Sum256(good)
	if !strings.Contains(string(b), "\n"+fileName(warm, h[:], "d")+"\t") {
		t.Errorf("checked-files = %q, want the good file's record on a line of its own", b)
	}
}
