// Command driver runs the audit steps (test/engines/audit_test.go) inside
// a container of a gorootimg image: one real step per inventory entry a
// CI pipeline uses, one after another in the same container (the build
// cache is shared, as in a CI job), printing one JSON line per step:
//
//	go run . -C /t/mod -out /out sub-build sub-doc tool-nm wasm-js-test ...
//
// The module is copied to a writable directory first (go fmt, go fix,
// go mod tidy and go work init write to it). The driver uses the standard
// library only, so any image builds it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Result is one step's outcome.
type Result struct {
	Step    string  `json:"step"`
	Exit    int     `json:"exit"`
	Seconds float64 `json:"seconds"`
	Output  string  `json:"output"`
	// Skip says why the step could not run here (no node mounted).
	Skip string `json:"skip,omitempty"`
}

type step struct {
	env  []string
	args []string
	// file, when set, is a GOROOT-relative file the step reads (the way
	// a target's tutorial copies it out of $(go env GOROOT)); the first
	// that exists is copied to out.
	files []string
	// needs names a program the step needs besides the go command.
	needs string
}

func steps(out, goroot string) map[string]step {
	wasmPath := "PATH=" + os.Getenv("PATH") + ":" + goroot + "/lib/wasm:" + goroot + "/misc/wasm"
	s := map[string]step{
		"sub-bug":       {args: []string{"go", "bug"}, env: []string{"BROWSER=true"}},
		"sub-build":     {args: []string{"go", "build", "-o", out + "/hello", "./hello"}},
		"sub-clean":     {args: []string{"go", "clean", "./hello"}},
		"sub-doc":       {args: []string{"go", "doc", "fmt.Println"}},
		"sub-env":       {args: []string{"go", "env", "GOROOT", "GOVERSION"}},
		"sub-fix":       {args: []string{"go", "fix", "./..."}},
		"sub-fmt":       {args: []string{"go", "fmt", "./..."}},
		"sub-generate":  {args: []string{"go", "generate", "./..."}},
		"sub-get":       {args: []string{"go", "get", "github.com/spf13/pflag@v1.1.0"}},
		"sub-install":   {args: []string{"go", "install", "./hello"}, env: []string{"GOBIN=" + out + "/bin"}},
		"sub-list":      {args: []string{"go", "list", "-deps", "./..."}},
		"sub-mod":       {args: []string{"go", "mod", "tidy"}},
		"sub-work":      {args: []string{"go", "work", "init", "."}},
		"sub-run":       {args: []string{"go", "run", "./hello"}},
		"sub-telemetry": {args: []string{"go", "telemetry"}},
		"sub-test":      {args: []string{"go", "test", "./..."}},
		"sub-tool":      {args: []string{"go", "tool"}},
		"sub-version":   {args: []string{"go", "version", "-m", out + "/hello"}},
		"sub-vet":       {args: []string{"go", "vet", "./..."}},
		// js/wasm's standard test workflow: the go command finds
		// go_js_wasm_exec on PATH, which runs node.
		"wasm-js-test": {env: []string{"GOOS=js", "GOARCH=wasm", wasmPath}, args: []string{"go", "test", "./lib"}, needs: "node"},
		// Every js/wasm tutorial: cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" .
		"wasm-exec-js": {files: []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"}},
		// wasip1's wrapper runs wasmtime, which is not here: build, and
		// check the wrapper go test -exec would run is there.
		"wasip1-build":  {env: []string{"GOOS=wasip1", "GOARCH=wasm"}, args: []string{"go", "build", "-o", out + "/hello.wasm", "./hello"}},
		"wasip1-exec":   {files: []string{"lib/wasm/go_wasip1_wasm_exec", "misc/wasm/go_wasip1_wasm_exec"}},
		"tz":            {args: []string{"go", "run", "./tz"}, env: []string{"ZONEINFO="}},
		"fips140":       {env: []string{"GOFIPS140=v1.0.0"}, args: []string{"go", "build", "-o", out + "/fips", "./hello"}},
		"asm-textflag":  {args: []string{"go", "build", "./asm"}},
		"dist-list":     {args: []string{"go", "tool", "dist", "list"}},
		"zoneinfo-file": {files: []string{"lib/time/zoneinfo.zip"}},
	}
	return s
}

func main() {
	dir := flag.String("C", ".", "the module to copy and run the steps in")
	out := flag.String("out", "/tmp/out", "write build outputs here")
	flag.Parse()
	work := filepath.Join(*out, "work")
	if err := copyDir(*dir, work); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(2)
	}
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	all := steps(*out, strings.TrimSpace(string(goroot)))
	enc := json.NewEncoder(os.Stdout)
	for _, name := range flag.Args() {
		s, ok := all[name]
		if tool, found := strings.CutPrefix(name, "tool-"); found {
			// go tool -n prints the command go tool would run, or fails
			// with go: no such tool: the tool resolves without running.
			s, ok = step{args: []string{"go", "tool", "-n", tool}}, true
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "driver: unknown step %q\n", name)
			os.Exit(2)
		}
		enc.Encode(run(work, *out, strings.TrimSpace(string(goroot)), name, s))
	}
}

func run(dir, out, goroot, name string, s step) (r Result) {
	r.Step = name
	start := time.Now()
	defer func() { r.Seconds = float64(time.Since(start).Milliseconds()) / 1000 }()
	if s.needs != "" {
		if _, err := exec.LookPath(s.needs); err != nil {
			r.Skip = s.needs + " is not in the container"
			return r
		}
	}
	if s.files != nil {
		for _, f := range s.files {
			b, err := os.ReadFile(filepath.Join(goroot, f))
			if err == nil {
				r.Output = fmt.Sprintf("read $GOROOT/%s (%d bytes)", f, len(b))
				os.WriteFile(filepath.Join(out, filepath.Base(f)), b, 0o644)
				return r
			}
		}
		r.Exit, r.Output = 1, fmt.Sprintf("none of %v in $GOROOT %s", s.files, goroot)
		return r
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.env...)
	b, err := cmd.CombinedOutput()
	r.Output = string(b)
	if err != nil {
		r.Exit = -1
		if ee, ok := err.(*exec.ExitError); ok {
			r.Exit = ee.ExitCode()
		} else {
			r.Output += err.Error()
		}
	}
	return r
}

// copyDir copies the module to a directory the steps may write to.
func copyDir(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
