package inventory

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gorootimg/gorootimg/recipes"
)

// Generator is the command that rewrites the checked-in inventories.
const Generator = "hack/inventory.sh"

// Generate builds the inventory of the SDK in goroot, of release version
// ("go1.26.11") and platform goos/goarch. It runs the SDK's own go command
// ("go help") and scans its sources; the SDK must be for this machine.
func Generate(ctx context.Context, goroot, version, goos, goarch string) (*recipes.Inventory, error) {
	s := &scan{root: goroot, toolDir: "pkg/tool/" + goos + "_" + goarch}
	if err := s.readSources(); err != nil {
		return nil, err
	}
	subs, err := subcommands(ctx, goroot)
	if err != nil {
		return nil, err
	}
	inv := &recipes.Inventory{Release: version, Platform: goos + "/" + goarch, Generator: Generator}
	tools, err := s.tools()
	if err != nil {
		return nil, err
	}
	inv.Entries = append(inv.Entries, tools...)
	inv.Entries = append(inv.Entries, s.subcommandEntries(subs, tools)...)
	files, unread, err := s.files()
	if err != nil {
		return nil, err
	}
	inv.Entries = append(inv.Entries, files...)
	inv.Unread = unread
	slices.SortFunc(inv.Entries, func(a, b recipes.Entry) int { return strings.Compare(a.ID, b.ID) })
	return inv, nil
}

// subcommands lists the commands "go help" prints.
func subcommands(ctx context.Context, goroot string) ([]string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(goroot, "bin", "go"), "help")
	cmd.Env = append(os.Environ(), "GOROOT="+goroot, "GOTOOLCHAIN=local", "GOENV=off", "GOFLAGS=", "GOTELEMETRY=off")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running %q help: %w", filepath.Join(goroot, "bin", "go"), err)
	}
	var subs []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "The commands are:"):
			in = true
		case in && strings.TrimSpace(line) == "" && len(subs) > 0:
			in = false
		case in && strings.HasPrefix(line, "\t"):
			if f := strings.Fields(line); len(f) > 0 {
				subs = append(subs, f[0])
			}
		}
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("reading %q help: no commands listed", filepath.Join(goroot, "bin", "go"))
	}
	return subs, nil
}

// scan holds the SDK's source text that the generator searches.
type scan struct {
	root    string
	toolDir string            // "pkg/tool/linux_amd64"
	text    map[string]string // GOROOT-relative path -> contents
}

// scanned are the trees whose non-test Go files may read GOROOT files:
// the go command, dist, and the std packages that look in GOROOT.
var scanned = []string{"src/cmd/go", "src/cmd/dist", "src/runtime", "src/time", "src/syscall", "src/crypto", "src/os", "src/internal", "src/go/build"}

func (s *scan) readSources() error {
	s.text = map[string]string{}
	add := func(rel string) error {
		b, err := os.ReadFile(filepath.Join(s.root, rel))
		if err != nil {
			return err
		}
		s.text[rel] = string(b)
		return nil
	}
	for _, dir := range scanned {
		err := filepath.WalkDir(filepath.Join(s.root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(s.root, p)
			return add(filepath.ToSlash(rel))
		})
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("scanning %q: %w", dir, err)
		}
	}
	// The release's own documentation of the js/wasm test workflow.
	if err := add("src/syscall/js/js_test.go"); err != nil && !os.IsNotExist(err) {
		return err
	}
	// The support files read each other (go_js_wasm_exec runs
	// wasm_exec_node.js, which loads wasm_exec.js).
	for _, f := range s.outside() {
		if st, err := os.Stat(filepath.Join(s.root, f)); err == nil && st.Size() < 1<<20 {
			if err := add(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// outside lists the SDK's files outside src/ and pkg/, plus pkg/include.
func (s *scan) outside() []string {
	var out []string
	filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(s.root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "src" || rel == "test" || (rel == "pkg") {
				if rel == "pkg" {
					s.includes(&out)
				}
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func (s *scan) includes(out *[]string) {
	ents, _ := os.ReadDir(filepath.Join(s.root, "pkg", "include"))
	for _, e := range ents {
		*out = append(*out, "pkg/include/"+e.Name())
	}
}

// readers returns the scanned files whose text contains any of keys.
func (s *scan) readers(self string, keys ...string) []string {
	var out []string
	for f, t := range s.text {
		if f == self {
			continue
		}
		for _, k := range keys {
			if k != "" && strings.Contains(t, k) {
				out = append(out, f)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

var toolCall = regexp.MustCompile(`base\.Tool\("([a-z0-9]+)"\)|"tool", "([a-z0-9]+)"`)

// tools lists pkg/tool's binaries and, where the go command builds
// commands on demand (Go 1.25+: loadBuiltinTool in cmd/go/internal/tool),
// every main package directly below src/cmd except go and gofmt.
func (s *scan) tools() ([]recipes.Entry, error) {
	var out []recipes.Entry
	ents, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(s.toolDir)))
	if err != nil {
		return nil, fmt.Errorf("listing tools: %w", err)
	}
	have := map[string]bool{}
	for _, e := range ents {
		name := strings.TrimSuffix(e.Name(), ".exe")
		have[name] = true
		out = append(out, recipes.Entry{ID: "tool/" + name, Kind: recipes.KindTool,
			Files: []string{s.toolDir + "/" + e.Name()}, ReadBy: s.toolReaders(name)})
	}
	if !strings.Contains(s.text["src/cmd/go/internal/tool/tool.go"], "func loadBuiltinTool(") {
		return out, nil
	}
	cmds, err := os.ReadDir(filepath.Join(s.root, "src", "cmd"))
	if err != nil {
		return nil, fmt.Errorf("listing commands: %w", err)
	}
	for _, c := range cmds {
		name := c.Name()
		if !c.IsDir() || have[name] || name == "go" || name == "gofmt" || !isMain(filepath.Join(s.root, "src", "cmd", name)) {
			continue
		}
		out = append(out, recipes.Entry{ID: "tool/" + name, Kind: recipes.KindTool, Package: "cmd/" + name,
			Files:  []string{"src/cmd/go.mod"},
			ReadBy: append([]string{"src/cmd/go/internal/tool/tool.go"}, s.toolReaders(name)...)})
	}
	return out, nil
}

// toolReaders are the go command's sources that run tool name.
func (s *scan) toolReaders(name string) []string {
	var out []string
	for f, t := range s.text {
		if !strings.HasPrefix(f, "src/cmd/go/") {
			continue
		}
		if (name == "vet" || name == "fix") && strings.Contains(t, "base.Tool(cmd.Name())") {
			out = append(out, f)
			continue
		}
		for _, m := range toolCall.FindAllStringSubmatch(t, -1) {
			if m[1] == name || m[2] == name {
				out = append(out, f)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

var packageMain = regexp.MustCompile(`(?m)^package main\b`)

// isMain reports whether dir holds a non-test Go file of package main.
func isMain(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && packageMain.Match(b) {
			return true
		}
	}
	return false
}

// toolFlag finds the definition of a -vet flag (cf.Var(&testVet, "vet", "")).
var toolFlag = regexp.MustCompile(`\.(?:Var|BoolVar|StringVar|Bool|String)\([^"\n]*"(vet)",`)

var usageLine = regexp.MustCompile(`UsageLine:\s+"go ([a-z0-9]+)\b`)

// subcommandEntries lists each subcommand with the tools and files its
// own package (the one whose UsageLine names it) runs.
func (s *scan) subcommandEntries(subs []string, tools []recipes.Entry) []recipes.Entry {
	dirOf := map[string]string{}
	for f, t := range s.text {
		if !strings.HasPrefix(f, "src/cmd/go/internal/") {
			continue
		}
		for _, m := range usageLine.FindAllStringSubmatch(t, -1) {
			if _, ok := dirOf[m[1]]; !ok || path.Base(path.Dir(f)) == m[1] {
				dirOf[m[1]] = path.Dir(f)
			}
		}
	}
	var out []recipes.Entry
	for _, sub := range subs {
		e := recipes.Entry{ID: "subcommand/" + sub, Kind: recipes.KindSubcommand, Files: []string{"bin/go"}}
		dir := dirOf[sub]
		for _, d := range []string{sub, sub + "cmd"} {
			if _, ok := s.text["src/cmd/go/internal/"+d+"/"+d+".go"]; dir == "" && ok {
				dir = "src/cmd/go/internal/" + d
			}
		}
		for f, t := range s.text {
			if dir == "" || path.Dir(f) != dir {
				continue
			}
			n, uses := len(e.Needs), false
			for _, m := range toolCall.FindAllStringSubmatch(t, -1) {
				// The build package runs more tools than a plain build
				// does (vet for go test, cover for -cover): a build
				// needs the compile toolchain.
				if path.Base(dir) != "work" || slices.Contains(toolchain, m[1]+m[2]) {
					e.Needs = addTool(e.Needs, m[1]+m[2], tools)
				}
			}
			if strings.Contains(t, "base.Tool(cmd.Name())") {
				e.Needs = addTool(e.Needs, sub, tools)
			}
			// go test -vet, on by default, runs the vet tool. (Other
			// flags named like tools, go build -cover or go test
			// -trace, run nothing unless given.)
			for _, m := range toolFlag.FindAllStringSubmatch(t, -1) {
				e.Needs = addTool(e.Needs, m[1], tools)
			}
			if strings.Contains(t, `gofmt := "gofmt"`) {
				e.Files, uses = append(e.Files, "bin/gofmt"), true
			}
			if uses || len(e.Needs) > n {
				e.ReadBy = append(e.ReadBy, f)
			}
		}
		slices.Sort(e.Needs)
		e.Needs = slices.Compact(e.Needs)
		slices.Sort(e.ReadBy)
		e.ReadBy = slices.Compact(e.ReadBy)
		out = append(out, e)
	}
	return out
}

// toolchain are the tools every go build may run.
var toolchain = []string{"compile", "link", "asm", "cgo"}

// addTool adds "tool/NAME" when the release has that tool.
func addTool(needs []string, name string, tools []recipes.Entry) []string {
	for _, t := range tools {
		if t.ID == "tool/"+name {
			return append(needs, t.ID)
		}
	}
	return needs
}

// targetRef finds GOROOT paths of target support files in source text:
// the exec wrappers and JavaScript support of wasm, ios and android.
var targetRef = regexp.MustCompile(`\b(?:misc|lib)/(?:wasm|ios|go_android_exec|android)(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_])?`)

// files lists the support files outside src/ that something reads, and
// those nothing reads (unread). A file is read when a scanned source names
// its path, its directory, or (for a distinctive name) its base name.
func (s *scan) files() (entries []recipes.Entry, unread []string, err error) {
	have := map[string]bool{}
	for _, f := range s.outside() {
		have[f] = true
		for d := path.Dir(f); d != "."; d = path.Dir(d) {
			have[d] = true
		}
		if f == "bin/go" {
			continue
		}
		readBy := s.readers(f, keys(f)...)
		if !strings.Contains(f, "/") {
			// Top-level files: only the go command and dist read them.
			readBy = slices.DeleteFunc(readBy, func(r string) bool {
				return !strings.HasPrefix(r, "src/cmd/go/internal/cfg/") && !strings.HasPrefix(r, "src/cmd/go/internal/toolchain/") &&
					!strings.HasPrefix(r, "src/cmd/dist/")
			})
		}
		if len(readBy) == 0 {
			unread = append(unread, f)
			continue
		}
		entries = append(entries, recipes.Entry{ID: "file/" + f, Kind: recipes.KindFile, Files: []string{f},
			Targets: targetsOf(f), ReadBy: readBy})
	}
	absent := map[string][]string{}
	for f, t := range s.text {
		for _, m := range targetRef.FindAllString(t, -1) {
			if !have[m] && !slices.Contains(absent[m], f) {
				absent[m] = append(absent[m], f)
			}
		}
	}
	for p, readBy := range absent {
		slices.Sort(readBy)
		entries = append(entries, recipes.Entry{ID: "file/" + p, Kind: recipes.KindFile, Files: []string{p},
			Targets: targetsOf(p), ReadBy: readBy, Absent: true})
	}
	return entries, unread, nil
}

var wrapper = regexp.MustCompile(`^go_([a-z0-9]+)_([a-z0-9]+)_exec(\.go)?$`)

// keys are the strings whose presence in a source means it reads f.
func keys(f string) []string {
	dir, base := path.Split(f)
	dir = strings.TrimSuffix(dir, "/")
	out := []string{f, `"` + f + `"`}
	switch {
	case dir == "":
		out = append(out, `"`+base+`"`)
	case dir == "bin":
		out = append(out, `"`+base+`"`)
	case strings.HasPrefix(dir, "lib/") || strings.HasPrefix(dir, "misc/") || dir == "pkg/include":
		parts := strings.Split(dir, "/")
		out = append(out, dir, `"`+strings.Join(parts, `", "`)+`"`)
	}
	if wrapper.MatchString(base) {
		out = append(out, "go_%s_%s_exec", "go_?*_?*_exec")
	}
	if (strings.Contains(base, "_") || strings.Count(base, ".") > 0) && !strings.HasPrefix(base, "README") && dir != "" {
		out = append(out, "/"+base, `"`+base+`"`, "./"+base)
		if strings.HasSuffix(base, ".js") {
			out = append(out, `"./`+strings.TrimSuffix(base, ".js")+`"`)
		}
	}
	return out
}

// targetsOf returns the targets whose workflow a support file serves.
func targetsOf(f string) []string {
	base := path.Base(f)
	if m := wrapper.FindStringSubmatch(base); m != nil {
		return []string{m[1] + "/" + m[2]}
	}
	switch {
	case strings.Contains(f, "/wasm"):
		return []string{"js/wasm"}
	case strings.Contains(f, "/ios"):
		return []string{"ios/arm64", "ios/amd64"}
	case strings.Contains(f, "android"):
		return []string{"android/arm64", "android/amd64", "android/arm", "android/386"}
	}
	return nil
}
