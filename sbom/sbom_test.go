package sbom

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

var testTime = time.Date(2025, 7, 8, 17, 31, 5, 0, time.UTC)

var treeFiles = map[string]string{
	"VERSION":                      "go1.99.1\ntime 2025-07-08T17:31:05Z\n",
	"bin/go":                       "fake go",
	"pkg/tool/linux_amd64/compile": "fake compiler",
	"src/fmt/print.go":             "package fmt\n",
	"src/fmt/print_test.go":        "package fmt_test\n",
	"lib/time/zoneinfo.zip":        "zip",
	"doc/go_spec.html":             "<html>",
}

// tree writes the fake GOROOT below dir and scans it.
func tree(t *testing.T, dir string) goroot.FileSet {
	t.Helper()
	for n, c := range treeFiles {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("print.go", filepath.Join(dir, "src/fmt/alias.go")); err != nil {
		t.Fatal(err)
	}
	fs, err := goroot.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func input(t *testing.T, dir string) Input {
	return Input{
		SDK:          &sdk.SDK{Dir: dir, Version: "go1.99.1", GOOS: "linux", GOARCH: "amd64", Source: "archive:go1.99.1.linux-amd64.tar.gz", Hash: "sha256:" + strings.Repeat("0f", 32)},
		Recipe:       "ci",
		RecipeDigest: "sha256:" + strings.Repeat("1e", 32),
		Files:        tree(t, dir),
		GOROOTPath:   "/usr/local/go",
		Base:         "127.0.0.1:5000/debian:bookworm",
		BaseDigest:   "sha256:" + strings.Repeat("2d", 32),
		Created:      testTime,
		Tool:         "gorootimg v0.0.1",
	}
}

func sum(s string, h func([]byte) []byte) string { return hex.EncodeToString(h([]byte(s))) }
func sha1of(b []byte) []byte                     { s := sha1.Sum(b); return s[:] }
func sha256of(b []byte) []byte                   { s := sha256.Sum256(b); return s[:] }

// readSPDX parses doc with an independent SPDX implementation.
func readSPDX(t *testing.T, doc []byte) *spdx.Document {
	t.Helper()
	d, err := spdxjson.Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("spdx json.Read: %v", err)
	}
	if err := spdxlib.ValidateDocument(d); err != nil {
		t.Fatalf("spdxlib.ValidateDocument: %v", err)
	}
	return d
}

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	in := input(t, t.TempDir())
	doc, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// The same files elsewhere on disk give the same bytes.
	in2 := input(t, t.TempDir())
	doc2, err := Generate(ctx, in2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, doc2) {
		t.Fatal("Generate gave different documents for the same files in two directories")
	}

	d := readSPDX(t, doc)
	if d.SPDXVersion != "SPDX-2.3" || d.DataLicense != "CC0-1.0" || d.CreationInfo.Created != "2025-07-08T17:31:05Z" {
		t.Errorf("header = %s %s %s", d.SPDXVersion, d.DataLicense, d.CreationInfo.Created)
	}
	if !strings.HasPrefix(d.DocumentNamespace, "https://") {
		t.Errorf("documentNamespace = %q, want an https URI", d.DocumentNamespace)
	}
	if len(d.Packages) != 2 {
		t.Fatalf("got %d packages, want the Go SDK and the base", len(d.Packages))
	}
	goPkg := d.Packages[0]
	if goPkg.PackageVersion != "go1.99.1" || !goPkg.FilesAnalyzed {
		t.Errorf("Go package = %s filesAnalyzed=%v", goPkg.PackageVersion, goPkg.FilesAnalyzed)
	}

	// Exactly the regular files and symlinks, with correct checksums.
	want := map[string]string{"./usr/local/go/src/fmt/alias.go": sum("print.go", sha256of)}
	var sha1s []string
	for n, c := range treeFiles {
		want["./usr/local/go/"+n] = sum(c, sha256of)
		sha1s = append(sha1s, sum(c, sha1of))
	}
	sha1s = append(sha1s, sum("print.go", sha1of))
	got := map[string]string{}
	for _, f := range d.Files {
		var s1, s256 string
		for _, c := range f.Checksums {
			switch c.Algorithm {
			case "SHA1":
				s1 = c.Value
			case "SHA256":
				s256 = c.Value
			}
		}
		if s1 == "" {
			t.Errorf("%s: no SHA1 (SPDX 2.3 requires it)", f.FileName)
		}
		got[f.FileName] = s256
	}
	if len(got) != len(want) {
		t.Errorf("SBOM lists %d files, want %d", len(got), len(want))
	}
	for n, s := range want {
		if got[n] != s {
			t.Errorf("%s: sha256 %q, want %q", n, got[n], s)
		}
	}
	// tools-golang turns hasFiles into CONTAINS relationships.
	contains := 0
	for _, r := range d.Relationships {
		if r.Relationship == "CONTAINS" && string(r.RefA.ElementRefID) == goPkgID[len("SPDXRef-"):] {
			contains++
		}
	}
	if contains != len(want) {
		t.Errorf("Go package CONTAINS %d files, want %d", contains, len(want))
	}
	slices.Sort(sha1s)
	vc := sum(strings.Join(sha1s, ""), sha1of)
	if goPkg.PackageVerificationCode == nil || goPkg.PackageVerificationCode.Value != vc {
		t.Errorf("package verification code = %v, want %s", goPkg.PackageVerificationCode, vc)
	}

	// Read gives back what went in.
	s, err := Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	if s.GoVersion != "go1.99.1" || s.Annotations[KeyRecipe] != "ci" || s.Annotations[KeyRecipeDigest] != in.RecipeDigest ||
		s.Annotations[KeySDKHash] != in.SDK.Hash || s.Base != in.Base || s.BaseDigest != in.BaseDigest {
		t.Errorf("Read = %+v", s)
	}
	cats := map[string]goroot.Category{}
	for _, f := range s.Files {
		cats[f.Name] = f.Category
	}
	for n, c := range map[string]goroot.Category{
		"usr/local/go/bin/go":                goroot.CatBin,
		"usr/local/go/src/fmt/print_test.go": goroot.CatTests,
		"usr/local/go/doc/go_spec.html":      goroot.CatDocs,
		"usr/local/go/src/fmt/alias.go":      goroot.CatStd,
	} {
		if cats[n] != c {
			t.Errorf("Read: %s category %q, want %q", n, cats[n], c)
		}
	}

	// Any input change changes the document, including its namespace.
	in.Recipe = "slim"
	doc3, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d3 := readSPDX(t, doc3); d3.DocumentNamespace == d.DocumentNamespace {
		t.Error("a different recipe kept the same documentNamespace")
	}
}

func TestValidate(t *testing.T) {
	ok := func() Input {
		return Input{SDK: &sdk.SDK{Version: "go1.99.1", GOOS: "linux", GOARCH: "amd64"}, Recipe: "ci", GOROOTPath: "/usr/local/go", Created: testTime, Files: goroot.FileSet{}}
	}
	tests := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"ok", func(*Input) {}, ""},
		{"no sdk", func(in *Input) { in.SDK = nil }, "no SDK"},
		{"no files", func(in *Input) { in.Files = nil }, "neither files nor file digests"},
		{"no recipe", func(in *Input) { in.Recipe = "" }, "no recipe"},
		{"relative goroot", func(in *Input) { in.GOROOTPath = "go" }, "GOROOT path"},
		{"zero time", func(in *Input) { in.Created = time.Time{} }, "zero creation time"},
		{"digest without base", func(in *Input) { in.BaseDigest = "sha256:00" }, "base digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.change(&in)
			err := in.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
	// A scratch image has no base package.
	in := ok()
	doc, err := Generate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if d := readSPDX(t, doc); len(d.Packages) != 1 || len(d.Files) != 0 {
		t.Errorf("empty scratch SBOM: %d packages, %d files; want 1, 0", len(d.Packages), len(d.Files))
	}
}

// TestGenerateFromDigests writes the fake GOROOT as layers the way build
// does (below usr/local/go, next to a file outside it), hashing the files
// as the layer writer tars them: the document made from those digests must
// be the one made from the files on disk, byte for byte.
func TestGenerateFromDigests(t *testing.T) {
	ctx := context.Background()
	in := input(t, t.TempDir())
	want, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var entries []layers.Entry
	for _, f := range in.Files {
		e := layers.Entry{Name: "usr/local/go/" + f.Name, Mode: f.Mode, Src: f.Src, Size: f.Size, Link: f.Link}
		if f.IsDir() {
			e.Src, e.Size = "", 0
		}
		entries = append(entries, e)
	}
	other := filepath.Join(t.TempDir(), "os-release")
	os.WriteFile(other, []byte("ID=x\n"), 0o644)
	entries = append(entries, layers.Entry{Name: "etc/os-release", Mode: 0o644, Src: other, Size: 5},
		layers.Entry{Name: "usr/local/go/.wh..wh..opq", Mode: 0o644})
	// Two layers, as build splits the GOROOT into groups.
	var ds []layers.FileDigest
	dir := t.TempDir()
	for i, part := range [][]layers.Entry{entries[:len(entries)/2], entries[len(entries)/2:]} {
		l, err := layers.Write(ctx, filepath.Join(dir, fmt.Sprint(i)), part, layers.WithFileDigests(true))
		if err != nil {
			t.Fatal(err)
		}
		if !l.HasDigests {
			t.Fatal("layers.Write(WithFileDigests) returned a layer without digests")
		}
		ds = append(ds, l.Digests...)
	}
	in.Files, in.Digests = nil, ds
	got, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		s, _ := Read(got)
		t.Errorf("the SBOM of the layer digests differs from the SBOM of the files; files: %v", s.Files)
	}
	// A regular file without digests is an error, not a silent omission.
	in.Digests = append(ds[:len(ds):len(ds)], layers.FileDigest{Name: "usr/local/go/lost"})
	if _, err := Generate(ctx, in); err == nil || !strings.Contains(err.Error(), "no digests") {
		t.Errorf("Generate with a file without digests = %v, want an error", err)
	}
}

// TestGenerateFileSystem lists the file system layer's files, from the
// digests the layer writer took, in a package of their own: the GOROOT
// files and the Go package stay as they are, and an independent SPDX
// implementation accepts the document.
func TestGenerateFileSystem(t *testing.T) {
	ctx := context.Background()
	in := input(t, t.TempDir())
	plain, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	content := map[string]string{
		"etc/group":                         "root:x:0:\n",
		"etc/ssl/certs/ca-certificates.crt": "-----BEGIN CERTIFICATE-----\n",
	}
	entries := []layers.Entry{{Name: "go", Mode: fs.ModeDir | fs.ModeSticky | 0o777}, {Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777}}
	for name, c := range content {
		src := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(src, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, layers.Entry{Name: name, Mode: 0o644, Src: src, Size: int64(len(c))})
	}
	l, err := layers.Write(ctx, filepath.Join(dir, "layer"), entries, layers.WithFileDigests(true))
	if err != nil {
		t.Fatal(err)
	}
	in.FileSystem = l.Digests
	doc, err := Generate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(readSPDX(t, doc).Packages), len(readSPDX(t, plain).Packages)+1; got != want {
		t.Errorf("packages = %d, want %d (one more: the file system)", got, want)
	}
	s, err := Read(doc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Read(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Files, p.Files) {
		t.Errorf("GOROOT files with a file system layer = %v, want %v", s.Files, p.Files)
	}
	if len(s.FileSystem) != len(content) {
		t.Fatalf("Read(doc).FileSystem = %v, want %d files", s.FileSystem, len(content))
	}
	for _, f := range s.FileSystem {
		c, ok := content[f.Name]
		if want := sum(c, sha256of); !ok || f.SHA256 != want || f.Category != FileSystemCategory {
			t.Errorf("file system file %+v, want %s %s %q", f, f.Name, want, FileSystemCategory)
		}
	}
	if len(p.FileSystem) != 0 {
		t.Errorf("Read(plain).FileSystem = %v, want none", p.FileSystem)
	}
}
