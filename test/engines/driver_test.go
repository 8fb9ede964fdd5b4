package engines

import (
	"bufio"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// stepResult is one line the driver (testdata/driver) prints.
type stepResult struct {
	Step    string  `json:"step"`
	Exit    int     `json:"exit"`
	Seconds float64 `json:"seconds"`
	Output  string  `json:"output"`
	UID     int     `json:"uid"`
	Home    string  `json:"home"`
}

// modDownload is the module the mod-download step fetches over HTTPS: a
// small one with no dependencies and an old go line (every release may
// download it), pinned in this module's go.sum.
const modDownload = "github.com/spf13/pflag@v1.1.0"

// rowSpec is one driver step as a table row and how its outcome is judged.
type rowSpec struct {
	step, scenario string
	judge          func(r stepResult, out string) error
}

var driverRows = []rowSpec{
	{"build", "go build, run the program", wantOutput("hello from the image")},
	{"run", "go run", wantOutput("hello from the image")},
	{"test-cover", "go test -cover ./... (a package without tests)", wantOutput("coverage:", "example.com/m/notest")},
	{"vet", "go vet ./...", wantOutput()},
	{"mod-download", "go mod download over HTTPS (module cache writable)", wantOutput(`"Dir"`)},
	{"cross-windows", "GOOS=windows GOARCH=amd64 go build", func(r stepResult, out string) error {
		f, err := pe.Open(filepath.Join(out, "hello.exe"))
		if err != nil {
			return err
		}
		defer f.Close()
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
			return fmt.Errorf("hello.exe: machine %#x, want amd64", f.Machine)
		}
		return nil
	}},
	{"cross-darwin", "GOOS=darwin GOARCH=arm64 go build", func(r stepResult, out string) error {
		f, err := macho.Open(filepath.Join(out, "hello-darwin"))
		if err != nil {
			return err
		}
		defer f.Close()
		if f.Cpu != macho.CpuArm64 {
			return fmt.Errorf("hello-darwin: cpu %v, want arm64", f.Cpu)
		}
		return nil
	}},
}

func wantOutput(subs ...string) func(stepResult, string) error {
	return func(r stepResult, _ string) error {
		for _, s := range subs {
			if !strings.Contains(r.Output, s) {
				return fmt.Errorf("output lacks %q:\n%s", s, enginetest.Tail(r.Output, 3000))
			}
		}
		return nil
	}
}

// drive runs the driver's steps in one container of image as user ("" for
// the image's), with the module in testdata/mod, and returns the results
// by step and the output directory.
func (f *fixture) drive(t *testing.T, image, user string, steps ...string) (map[string]stepResult, string, error) {
	t.Helper()
	out := f.outDir(t)
	opts := []string{"--network", "host", "-v", f.data + ":/t:ro", "-v", out + ":/out", "-w", "/t/driver"}
	opts = append(append(opts, enginetest.HostCAMount()...), f.goEnv...)
	if user != "" {
		// HOME=/ is what Docker gives a uid without a passwd entry (podman
		// 4.3 gives the working directory instead); GOCACHE must not care.
		opts = append(opts, "--user", user, "-e", "HOME=/")
	}
	args := append(enginetest.RunArgs(opts...), image, "go", "run", ".", "-C", "/t/mod", "-out", "/out")
	for _, s := range steps {
		if s == "mod-download" {
			s += "=" + modDownload
		}
		args = append(args, s)
	}
	stdout, err := f.podman(args...)
	res := map[string]stepResult{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r stepResult
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Step != "" {
			res[r.Step] = r
		}
	}
	if len(res) == 0 && err != nil {
		return nil, out, err // the driver itself did not run: go run failed
	}
	return res, out, nil
}

// driveRows runs every driver row in containers of the default image (and
// of crossRecipe's for the cross rows) as user, one row per step.
func (f *fixture) driveRows(t *testing.T, engine, user string) {
	groups := []struct {
		image string
		steps []string
		note  string
	}{{image: f.ci, steps: []string{"env", "build", "run", "test-cover", "vet", "mod-download"}}}
	cross := []string{"cross-windows", "cross-darwin"}
	if f.cross == f.ci {
		groups[0].steps = append(groups[0].steps, cross...)
	} else {
		groups = append(groups, struct {
			image string
			steps []string
			note  string
		}{f.cross, cross, "recipe " + crossRecipe})
	}
	for _, g := range groups {
		res, out, err := f.drive(t, g.image, user, g.steps...)
		if err != nil {
			for _, s := range g.steps {
				if spec, ok := specOf(s); ok {
					check(t, engine, spec.scenario, func() (string, error) { return g.note, err })
				}
			}
			continue
		}
		if err := checkUser(res["env"], user); err != nil && res["env"].Step != "" {
			t.Errorf("%s: %v", engine, err)
		}
		for _, s := range g.steps {
			spec, ok := specOf(s)
			if !ok {
				continue
			}
			row := Row{Engine: engine, Scenario: spec.scenario, Result: "pass", Seconds: res[s].Seconds, Note: g.note}
			if err := judgeStep(spec, res, out); err != nil {
				row.Result = "fail"
				t.Errorf("%s: %s: %v", engine, spec.scenario, err)
			}
			record(t, row)
		}
	}
}

// judgeStep judges spec's step among the driver's results res, with the
// output directory out.
func judgeStep(spec rowSpec, res map[string]stepResult, out string) error {
	r, ran := res[spec.step]
	switch {
	case !ran:
		return errors.New("the driver did not report the step")
	case r.Exit != 0:
		return fmt.Errorf("exit %d:\n%s", r.Exit, enginetest.Tail(r.Output, 3000))
	}
	return spec.judge(r, out)
}

func specOf(step string) (rowSpec, bool) {
	for _, s := range driverRows {
		if s.step == step {
			return s, true
		}
	}
	return rowSpec{}, false
}

// checkUser confirms who the container ran as: for a uid without a passwd
// entry the engine's HOME is /, and GOCACHE is the image's.
func checkUser(env stepResult, user string) error {
	if !strings.Contains(env.Output, "/go/.cache/go-build\n") {
		return fmt.Errorf("go env GOCACHE in the container: %q, want /go/.cache/go-build", env.Output)
	}
	if user != "" && (env.UID != 1000 || env.Home != "/") {
		return fmt.Errorf("the container ran as uid %d with HOME=%q, want 1000 and /", env.UID, env.Home)
	}
	return nil
}
