package prune

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/recipes"
)

func lookup(t *testing.T, name string) *recipes.Recipe {
	t.Helper()
	r, err := recipes.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveFake(t *testing.T) {
	root := fakeGOROOT(t, fakeFiles)
	ctx := context.Background()
	target := goroot.Tree{Dir: root, GOOS: "linux", GOARCH: "amd64"}
	dir := t.TempDir()
	rp := filepath.Join(dir, "r.yaml")
	os.WriteFile(rp, []byte(`platform-prune: true
rules:
  - include: [VERSION, bin]
  - exclude: [bin/gofmt]
  - tools: [vet, nosuchtool]
  - packages: [a]
  - include: [go.env]
    when: "< 1.99"
  - include: [src/b/b_windows.go]
`), 0o644)
	r, err := recipes.Lookup(rp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(ctx, target, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Target.Version != "go1.99.1" {
		t.Errorf("Version = %q, want go1.99.1 from VERSION", p.Target.Version)
	}
	for name, want := range map[string]string{
		"VERSION":                        "kept by r.yaml:3: include [VERSION bin]",
		"bin/go":                         "kept by r.yaml:3",
		"bin/gofmt":                      "dropped by r.yaml:4: exclude [bin/gofmt]",
		"pkg/tool/linux_amd64/vet":       "kept by r.yaml:5: tools",
		"pkg/tool/linux_amd64/compile":   "dropped: no rule selects it",
		"src/a/a.go":                     "kept by r.yaml:6: packages [a]",
		"src/vendor/golang.org/x/y/y.go": "kept by r.yaml:6",
		"go.env":                         "dropped: no rule",
		"src/b/b_windows.go":             "dropped by platform-prune: no build tags select it for linux/amd64",
		"src/b/asm_arm64.s":              "dropped by platform-prune",
		"src/a":                          "kept: holds kept files",
		"src/cmd":                        "dropped: holds no kept files",
	} {
		if got := p.Why(name); !strings.HasPrefix(got, want) {
			t.Errorf("Why(%q) = %q, want prefix %q", name, got, want)
		}
	}
	if got := p.Why("no/such/file"); got != "" {
		t.Errorf("Why(no/such/file) = %q, want empty", got)
	}
	// Kept and Dropped partition All.
	if len(p.Kept)+len(p.Dropped) != len(p.All) {
		t.Errorf("kept %d + dropped %d != all %d", len(p.Kept), len(p.Dropped), len(p.All))
	}
	for _, f := range p.Kept {
		if _, ok := p.Dropped.Lookup(f.Name); ok {
			t.Errorf("%s both kept and dropped", f.Name)
		}
	}
	// Apply without stripping hands back Kept, and Materialize lays it out.
	files, err := Apply(ctx, p, filepath.Join(dir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := Materialize(ctx, files, out); err != nil {
		t.Fatal(err)
	}
	again, err := goroot.Scan(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(p.Kept) {
		t.Errorf("materialized %d entries, want %d", len(again), len(p.Kept))
	}
	if _, err := os.Stat(filepath.Join(out, "bin/gofmt")); !os.IsNotExist(err) {
		t.Errorf("bin/gofmt materialized though dropped")
	}
}

func localGOROOT(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestResolveLocalSDK resolves every built-in recipe against the Go that
// runs the tests and checks the promises that need no building: full keeps
// everything, slim drops exactly tests, testdata and docs, the recipes
// nest, and every file has a reason.
func TestResolveLocalSDK(t *testing.T) {
	root := localGOROOT(t)
	out, _ := exec.Command("go", "env", "GOOS", "GOARCH").Output()
	f := strings.Fields(string(out))
	target := goroot.Tree{Dir: root, GOOS: f[0], GOARCH: f[1]}
	ctx := context.Background()
	plans := map[string]*Plan{}
	for _, n := range recipes.Names() {
		p, err := Resolve(ctx, target, lookup(t, n))
		if err != nil {
			t.Fatalf("Resolve(%s) = %v", n, err)
		}
		plans[n] = p
		for _, f := range p.All.Regular() {
			if p.Why(f.Name) == "" {
				t.Errorf("%s: Why(%s) is empty", n, f.Name)
			}
		}
	}
	if len(plans["full"].Dropped) != 0 {
		t.Errorf("full drops %d files, e.g. %s", len(plans["full"].Dropped), plans["full"].Dropped[0].Name)
	}
	for _, f := range plans["slim"].Dropped.Regular() {
		switch goroot.CategoryOf(f.Name) {
		case goroot.CatTests, goroot.CatTestdata, goroot.CatDocs:
		default:
			if !strings.HasPrefix(f.Name, "misc/") {
				t.Errorf("slim drops %s (%s)", f.Name, goroot.CategoryOf(f.Name))
			}
		}
	}
	subset := func(small, big string) {
		for _, f := range plans[small].Kept.Regular() {
			if _, ok := plans[big].Kept.Lookup(f.Name); !ok {
				t.Errorf("%s keeps %s but %s does not", small, f.Name, big)
			}
		}
	}
	subset("minimal", "build")
	subset("build", "slim")
	subset("ci", "slim")
	for _, name := range []string{"bin/go", "pkg/include/textflag.h", "src/runtime/proc.go", "go.env", "VERSION",
		"pkg/tool/" + target.GOOS + "_" + target.GOARCH + "/compile"} {
		for _, n := range []string{"ci", "build", "minimal"} {
			if _, ok := plans[n].Kept.Lookup(name); !ok {
				t.Errorf("%s drops %s: %s", n, name, plans[n].Why(name))
			}
		}
	}
	if _, ok := plans["ci"].Kept.Lookup("bin/gofmt"); !ok {
		t.Errorf("ci drops bin/gofmt")
	}
	if len(plans["minimal"].Stripped) == 0 {
		t.Errorf("minimal strips nothing")
	}
	for _, n := range []string{"ci", "build", "minimal"} {
		if b := plans[n].Kept.Bytes(); b >= plans["slim"].Kept.Bytes() {
			t.Errorf("%s keeps %d bytes, not less than slim's %d", n, b, plans["slim"].Kept.Bytes())
		}
	}
}

// TestStrip strips the local SDK's gofmt and go: the copies lose .symtab,
// keep every loaded byte, and still work.
func TestStrip(t *testing.T) {
	root := localGOROOT(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "x.go")
	os.WriteFile(src, []byte("package x\nfunc  F( ) {}\n"), 0o644)
	for _, bin := range []string{"gofmt", "go"} {
		orig := filepath.Join(root, "bin", bin)
		b, err := stripFile(orig)
		if err != nil || b == nil {
			t.Fatalf("stripFile(%s) = %v, %v", orig, b == nil, err)
		}
		if n, err := strippedSize(orig); err != nil || n != int64(len(b)) {
			t.Errorf("strippedSize(%s) = %d, %v; stripping gives %d bytes", bin, n, err, len(b))
		}
		info, _ := os.Stat(orig)
		if int64(len(b)) >= info.Size() {
			t.Errorf("stripped %s is %d bytes, not less than %d", bin, len(b), info.Size())
		}
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("stripped %s is not valid ELF: %v", bin, err)
		}
		if ef.Section(".symtab") != nil || ef.Section(".strtab") != nil {
			t.Errorf("stripped %s still has .symtab/.strtab", bin)
		}
		of, _ := elf.Open(orig)
		for _, s := range of.Sections {
			if s.Flags&elf.SHF_ALLOC == 0 || s.Type == elf.SHT_NOBITS {
				continue
			}
			ns := ef.Section(s.Name)
			if ns == nil || ns.Offset != s.Offset || ns.Addr != s.Addr {
				t.Errorf("%s: section %s moved or vanished", bin, s.Name)
				continue
			}
			a, _ := s.Data()
			c, _ := ns.Data()
			if !bytes.Equal(a, c) {
				t.Errorf("%s: section %s content changed", bin, s.Name)
			}
		}
		of.Close()
		if again, _ := stripELF(b); again != nil {
			t.Errorf("stripping %s twice changed it again", bin)
		}
		p := filepath.Join(dir, bin)
		os.WriteFile(p, b, 0o755)
		var cmd *exec.Cmd
		if bin == "gofmt" {
			cmd = exec.Command(p, "-l", src)
		} else {
			cmd = exec.Command(p, "version")
			cmd.Env = append(os.Environ(), "GOROOT="+root)
		}
		out, err := cmd.CombinedOutput()
		wantCmd := exec.Command(orig, cmd.Args[1:]...)
		wantCmd.Env = cmd.Env
		want, _ := wantCmd.CombinedOutput()
		if err != nil || !bytes.Equal(out, want) {
			t.Errorf("stripped %s %v = %q, %v; want %q", bin, cmd.Args[1:], out, err, want)
		}
	}
	// Every tool of the SDK: the size from the headers is the stripped size.
	tools, _ := filepath.Glob(filepath.Join(root, "pkg", "tool", "*", "*"))
	for _, p := range tools {
		b, err := stripFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strippedSize(p)
		if err != nil || b == nil && n != -1 || b != nil && n != int64(len(b)) {
			t.Errorf("strippedSize(%s) = %d, %v; stripFile gives %d bytes (nil %v)", p, n, err, len(b), b == nil)
		}
	}
	if n, err := strippedSize(filepath.Join(root, "VERSION")); n != -1 || err != nil {
		t.Errorf("strippedSize(VERSION) = %d, %v; want -1, nil", n, err)
	}
	if b, err := stripFile(filepath.Join(root, "VERSION")); b != nil || err != nil {
		t.Errorf("stripFile(VERSION) = %v, %v; want nil, nil", b != nil, err)
	}
}

// TestOtherPlatforms checks an exclude rule narrowed to other platforms:
// it drops the matching files whose name suffix or build constraints rule
// out the tree's platform and keeps the tree's own.
func TestOtherPlatforms(t *testing.T) {
	root := fakeGOROOT(t, map[string]string{
		"VERSION":                                "go1.99.1\ntime 2030-01-01T00:00:00Z\n",
		"src/runtime/race/race.go":               "package race\n",
		"src/runtime/race/race_linux_arm64.syso": "obj",
		"src/runtime/race/race_linux_amd64.syso": "obj",
		"src/runtime/race/race_windows.syso":     "obj",
		"src/runtime/race/v3/race_linux.syso":    "obj",
		"src/runtime/race/arm64only.syso":        "obj",
	})
	rp := filepath.Join(t.TempDir(), "r.yaml")
	os.WriteFile(rp, []byte(`rules:
  - include: [VERSION, src]
  - exclude: ["src/runtime/race/**/*.syso"]
    other-platforms: true
`), 0o644)
	r, err := recipes.Lookup(rp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		goos, goarch string
		dropped      []string
	}{
		{"linux", "amd64", []string{"src/runtime/race/race_linux_arm64.syso", "src/runtime/race/race_windows.syso"}},
		{"linux", "arm64", []string{"src/runtime/race/race_linux_amd64.syso", "src/runtime/race/race_windows.syso"}},
		{"windows", "amd64", []string{"src/runtime/race/race_linux_amd64.syso", "src/runtime/race/race_linux_arm64.syso", "src/runtime/race/v3/race_linux.syso"}},
	} {
		p, err := Resolve(context.Background(), goroot.Tree{Dir: root, GOOS: tc.goos, GOARCH: tc.goarch}, r)
		if err != nil {
			t.Fatal(err)
		}
		var dropped []string
		for _, f := range p.Dropped {
			if !f.IsDir() {
				dropped = append(dropped, f.Name)
			}
		}
		if !slices.Equal(dropped, tc.dropped) {
			t.Errorf("Resolve(%s/%s) dropped %v, want %v", tc.goos, tc.goarch, dropped, tc.dropped)
		}
		if got, want := p.Why(tc.dropped[0]), "dropped by r.yaml:3: exclude [src/runtime/race/**/*.syso] of other platforms"; got != want {
			t.Errorf("Why(%s) on %s/%s = %q, want %q", tc.dropped[0], tc.goos, tc.goarch, got, want)
		}
	}
}
