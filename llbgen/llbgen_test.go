package llbgen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/solver/pb"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
)

var (
	amd64    = v1.Platform{OS: "linux", Architecture: "amd64"}
	testTime = time.Date(2025, 7, 8, 17, 31, 5, 0, time.UTC)
	pinned   = "127.0.0.1:5000/debian@sha256:" + strings.Repeat("ab", 32)
)

func TestValidate(t *testing.T) {
	ok := Spec{Platform: amd64, Base: "scratch", GOROOTPath: "/usr/local/go", Time: testTime}
	tests := []struct {
		name   string
		change func(*Spec)
		want   string // substring of the error; "" = valid
	}{
		{"scratch", func(*Spec) {}, ""},
		{"pinned", func(s *Spec) { s.Base = pinned }, ""},
		{"tag only", func(s *Spec) { s.Base = "debian:bookworm" }, "not pinned by digest"},
		{"empty base", func(s *Spec) { s.Base = "" }, "empty base"},
		{"no arch", func(s *Spec) { s.Platform.Architecture = "" }, "architecture"},
		{"relative goroot", func(s *Spec) { s.GOROOTPath = "usr/local/go" }, "clean absolute"},
		{"root goroot", func(s *Spec) { s.GOROOTPath = "/" }, "clean absolute"},
		{"unclean goroot", func(s *Spec) { s.GOROOTPath = "/usr/local/go/" }, "clean absolute"},
		{"zero time", func(s *Spec) { s.Time = time.Time{} }, "zero time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.change(&s)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

// TestMarshalDeterministic marshals the same spec many times: llb.WriteTo
// would give different bytes (random metadata map order, random local ID).
func TestMarshalDeterministic(t *testing.T) {
	ctx := context.Background()
	s := Spec{Platform: amd64, Base: pinned, GOROOTPath: "/usr/local/go", Time: testTime}
	first, err := Marshal(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		b, err := Marshal(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("Marshal run %d gave %d bytes differing from the first run's %d", i, len(b), len(first))
		}
	}
	// A different input must change the definition.
	s2 := s
	s2.Platform.Architecture = "arm64"
	other, err := Marshal(ctx, s2)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, first) {
		t.Error("Marshal gave the same bytes for linux/amd64 and linux/arm64")
	}
}

// TestMarshalContent decodes the definition and checks what it asks
// BuildKit to do.
func TestMarshalContent(t *testing.T) {
	s := Spec{Platform: amd64, Base: pinned, GOROOTPath: "/opt/go", Time: testTime, LocalName: "sdk"}
	b, err := Marshal(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var sources []*pb.SourceOp
	var files []*pb.FileOp
	for _, op := range decodeOps(t, b) {
		if src := op.GetSource(); src != nil {
			sources = append(sources, src)
		}
		if f := op.GetFile(); f != nil {
			files = append(files, f)
		}
		if p := op.GetPlatform(); p != nil && (p.OS != "linux" || p.Architecture != "amd64") {
			t.Errorf("op platform = %s/%s, want linux/amd64", p.OS, p.Architecture)
		}
	}
	var local, image *pb.SourceOp
	for _, src := range sources {
		switch {
		case strings.HasPrefix(src.Identifier, "local://"):
			local = src
		case strings.HasPrefix(src.Identifier, "docker-image://"):
			image = src
		}
	}
	if local == nil || local.Identifier != "local://sdk" {
		t.Fatalf("local source = %v, want local://sdk", local)
	}
	if got := local.Attrs[pb.AttrLocalUniqueID]; got != "gorootimg-sdk" {
		t.Errorf("local unique ID = %q, want gorootimg-sdk", got)
	}
	if image == nil || image.Identifier != "docker-image://"+pinned {
		t.Errorf("image source = %v, want docker-image://%s", image, pinned)
	}
	if len(files) != 1 {
		t.Fatalf("got %d file ops, want 1", len(files))
	}
	var mkdir *pb.FileActionMkDir
	var copy *pb.FileActionCopy
	var rm *pb.FileActionRm
	for _, a := range files[0].Actions {
		if r := a.GetRm(); r != nil {
			rm = r
		}
		if m := a.GetMkdir(); m != nil {
			mkdir = m
		}
		if c := a.GetCopy(); c != nil {
			copy = c
		}
	}
	if rm == nil || rm.Path != "/opt/go" || !rm.AllowNotFound {
		t.Errorf("rm = %v, want /opt/go (the base's files at GOROOT hidden, as gorootimg build does)", rm)
	}
	if mkdir == nil || mkdir.Path != "/opt" || mkdir.Timestamp != testTime.UnixNano() {
		t.Errorf("mkdir = %v, want /opt at %v", mkdir, testTime)
	}
	if copy == nil || copy.Dest != "/opt/go" || !copy.DirCopyContents || copy.Timestamp != testTime.UnixNano() {
		t.Errorf("copy = %v, want contents to /opt/go at %v", copy, testTime)
	}
	if copy != nil && (copy.Owner.GetUser().GetByID() != 0 || copy.Owner.GetGroup().GetByID() != 0) {
		t.Errorf("copy owner = %v, want 0:0", copy.Owner)
	}
}

func TestExporterAttr(t *testing.T) {
	base := &v1.ConfigFile{Config: v1.Config{Env: []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}, User: "1000"},
		History: []v1.History{{CreatedBy: "base layer"}}, RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}}}}
	cfg := imageconfig.Config(base, imageconfig.Meta{GoVersion: "go1.99.1", Created: testTime, Recipe: "ci", Source: `x,"y"`,
		Platform: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}})
	attr, err := ExporterAttr(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// buildctl splits --output as CSV: the attribute must stay one field.
	fields, err := csv.NewReader(strings.NewReader("type=oci,dest=x.tar," + attr)).Read()
	if err != nil {
		t.Fatalf("reading %q as CSV: %v", attr, err)
	}
	if len(fields) != 3 {
		t.Fatalf("CSV fields = %q, want 3", fields)
	}
	v, ok := strings.CutPrefix(fields[2], ExporterConfigKey+"=")
	if !ok {
		t.Fatalf("third field = %q, want %s=...", fields[2], ExporterConfigKey)
	}
	var got v1.ConfigFile
	if err := json.Unmarshal([]byte(v), &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Config.Env, " ") != strings.Join(cfg.Config.Env, " ") {
		t.Errorf("Env = %q, want %q", got.Config.Env, cfg.Config.Env)
	}
	if got.OS != "linux" || got.Architecture != "arm64" || got.Variant != "v8" || got.Config.User != "1000" ||
		got.Config.Labels[imageconfig.LabelOCISource] != `x,"y"` || !got.Created.Time.Equal(testTime) {
		t.Errorf("config = %+v", got)
	}
	// BuildKit computes the rootfs; the base's history goes along so it can
	// match it with the base's layers.
	if len(got.RootFS.DiffIDs) != 0 || len(got.History) != 1 {
		t.Errorf("rootfs = %v, history = %v; want none and the base's", got.RootFS, got.History)
	}
	if _, err := ExporterAttr(&v1.ConfigFile{OS: "linux"}); err == nil {
		t.Error("ExporterAttr without architecture succeeded")
	}
}

// fakeGOROOT writes a tiny SDK-shaped tree and returns its scan.
func fakeGOROOT(t *testing.T) (string, goroot.FileSet) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"VERSION":                      "go1.99.1\ntime 2025-07-08T17:31:05Z\n",
		"bin/go":                       "#!/bin/sh\necho fake go\n",
		"pkg/tool/linux_amd64/compile": "fake compiler",
		"src/fmt/print.go":             "package fmt\n",
		"src/cmd/go/testdata/script/x": "x",
		"lib/time/zoneinfo.zip":        "zip",
		"src/runtime/cgo/gcc_linux.c":  "int x;\n",
		"misc/wasm/go_js_wasm_exec":    "#!/bin/sh\n",
		"src/internal/abi/abi_test.s":  "// asm\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("print.go", filepath.Join(dir, "src/fmt/link.go")); err != nil {
		t.Fatal(err)
	}
	fsys, err := goroot.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, fsys
}

func TestPrepare(t *testing.T) {
	_, files := fakeGOROOT(t)
	dst := filepath.Join(t.TempDir(), "ctx")
	if err := Prepare(context.Background(), dst, files, testTime); err != nil {
		t.Fatal(err)
	}
	got, err := goroot.Scan(dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) {
		t.Fatalf("prepared %d entries, want %d", len(got), len(files))
	}
	wantMode := map[string]fs.FileMode{
		"bin/go":                       0o755,
		"pkg/tool/linux_amd64/compile": 0o755,
		"misc/wasm/go_js_wasm_exec":    0o755,
		"src/fmt/print.go":             0o644,
		"src":                          fs.ModeDir | 0o755,
	}
	for _, f := range got {
		orig, ok := files.Lookup(f.Name)
		if !ok {
			t.Errorf("prepared extra %q", f.Name)
			continue
		}
		if f.Mode.Type() != orig.Mode.Type() || f.Size != orig.Size || f.Link != orig.Link {
			t.Errorf("%s: prepared %v %d %q, want %v %d %q", f.Name, f.Mode, f.Size, f.Link, orig.Mode, orig.Size, orig.Link)
		}
		if m, ok := wantMode[f.Name]; ok && f.Mode != m {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode, m)
		}
		fi, err := os.Lstat(f.Src)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(testTime) {
			t.Errorf("%s: mtime %v, want %v", f.Name, fi.ModTime(), testTime)
		}
	}
	if err := Prepare(context.Background(), dst, files, testTime); err == nil {
		t.Error("Prepare into a non-empty directory succeeded")
	}
}

// TestMarshalFront checks the go front's layer: one file op above the
// GOROOT copy that makes the front's directory and writes the front's
// bytes at cacheprog.ImagePath, executable, owned by root, timed like
// the rest; without Front there is no such op.
func TestMarshalFront(t *testing.T) {
	front := []byte("\x7fELF a static go front")
	fileOps := func(s Spec) []*pb.FileOp {
		t.Helper()
		b, err := Marshal(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		var files []*pb.FileOp
		for _, op := range decodeOps(t, b) {
			if f := op.GetFile(); f != nil {
				files = append(files, f)
			}
		}
		return files
	}
	s := Spec{Platform: amd64, Base: "scratch", GOROOTPath: "/usr/local/go", Time: testTime}
	if n := len(fileOps(s)); n != 1 {
		t.Fatalf("without a front: %d file ops, want 1", n)
	}
	s.Front = front
	files := fileOps(s)
	if len(files) != 2 {
		t.Fatalf("with a front: %d file ops, want 2", len(files))
	}
	var mkfile *pb.FileActionMkFile
	var mkdir *pb.FileActionMkDir
	for _, f := range files {
		for _, a := range f.Actions {
			if m := a.GetMkfile(); m != nil {
				mkfile = m
			}
			if m := a.GetMkdir(); m != nil && m.Path == path.Dir(cacheprog.ImagePath) {
				mkdir = m
			}
		}
	}
	if mkdir == nil || !mkdir.MakeParents || mkdir.Timestamp != testTime.UnixNano() {
		t.Errorf("mkdir of the front's directory = %v, want %s with parents at %v", mkdir, path.Dir(cacheprog.ImagePath), testTime)
	}
	if mkfile == nil || mkfile.Path != cacheprog.ImagePath || !bytes.Equal(mkfile.Data, front) || mkfile.Mode != 0o755 ||
		mkfile.Timestamp != testTime.UnixNano() || mkfile.Owner.GetUser().GetByID() != 0 || mkfile.Owner.GetGroup().GetByID() != 0 {
		t.Errorf("mkfile = %v, want the front's bytes at %s, 0755, 0:0, at %v", mkfile, cacheprog.ImagePath, testTime)
	}
}
