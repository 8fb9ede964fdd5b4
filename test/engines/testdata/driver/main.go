// Command driver runs go commands inside a container built from a
// gorootimg image, one after another in the same container (so the build
// cache is shared, as in a CI job), and prints one JSON line per step:
//
//	go run . -C /t/mod -out /out build run test-cover vet ...
//
// It uses the standard library only, so the image builds it with nothing
// else.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

type step struct {
	env  []string
	args []string
	// then runs the step's product, when it is a program for this platform.
	then string
}

func steps(out string) map[string]step {
	return map[string]step{
		"build":         {args: []string{"go", "build", "-o", out + "/hello", "./hello"}, then: out + "/hello"},
		"run":           {args: []string{"go", "run", "./hello"}},
		"test-cover":    {args: []string{"go", "test", "-cover", "./..."}},
		"vet":           {args: []string{"go", "vet", "./..."}},
		"cross-windows": {env: []string{"GOOS=windows", "GOARCH=amd64"}, args: []string{"go", "build", "-o", out + "/hello.exe", "./hello"}},
		"cross-darwin":  {env: []string{"GOOS=darwin", "GOARCH=arm64"}, args: []string{"go", "build", "-o", out + "/hello-darwin", "./hello"}},
		"env":           {args: []string{"go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT", "GOOS", "GOARCH"}},
	}
}

// Result is one step's outcome.
type Result struct {
	Step    string  `json:"step"`
	Exit    int     `json:"exit"`
	Seconds float64 `json:"seconds"`
	Output  string  `json:"output"`
	// UID and Home say who ran it.
	UID  int    `json:"uid"`
	Home string `json:"home"`
}

func main() {
	dir := flag.String("C", ".", "run the steps in this directory")
	out := flag.String("out", "/tmp/out", "write build outputs here")
	flag.Parse()
	all := steps(*out)
	enc := json.NewEncoder(os.Stdout)
	failed := false
	for _, name := range flag.Args() {
		s, ok := all[name]
		if m, found := strings.CutPrefix(name, "mod-download="); found {
			s, ok = step{args: []string{"go", "mod", "download", "-json", m}}, true
			name = "mod-download"
		}
		if !ok {
			fmt.Fprintf(os.Stderr, "driver: unknown step %q\n", name)
			os.Exit(2)
		}
		r := run(*dir, name, s)
		failed = failed || r.Exit != 0
		enc.Encode(r)
	}
	if failed {
		os.Exit(1)
	}
}

func run(dir, name string, s step) Result {
	r := Result{Step: name, UID: os.Getuid(), Home: os.Getenv("HOME")}
	start := time.Now()
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), s.env...)
	b, err := cmd.CombinedOutput()
	if err == nil && s.then != "" {
		var more []byte
		more, err = exec.Command(s.then).CombinedOutput()
		b = append(b, more...)
	}
	r.Seconds = time.Since(start).Seconds()
	r.Output = string(b)
	if err != nil {
		r.Exit = 1
		if ee, ok := err.(*exec.ExitError); ok {
			r.Exit = ee.ExitCode()
		}
		r.Output += err.Error()
	}
	return r
}
