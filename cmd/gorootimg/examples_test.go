package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// examplesDir holds the pipeline examples the docs point at.
const examplesDir = "../../hack/examples"

// TestExamples parses each pipeline example and checks that every
// gorootimg command line in it uses a real command and flags that exist,
// that each pushes, and that its registry credentials come from a secret
// mounted where DOCKER_CONFIG points. An example that drifts from the CLI
// fails here.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(*testing.T, map[string]any){
		"github-actions.yaml":         checkWorkflow,
		"github-actions-publish.yaml": checkWorkflow,
		"tekton-task.yaml":            checkTektonTask,
		"kubernetes-job.yaml":         checkJob,
		"kubernetes-cronjob.yaml":     checkCronJob,
	}
	// The consumer side (jobs that use an image, and the images file that
	// makes theirs) runs no gorootimg: hack/examples' own test checks them.
	consumers := map[string]bool{"ci-images.yaml": true, "gitlab-ci.yaml": true,
		"github-actions-container.yaml": true, "tekton-go-test.yaml": true, "github-actions-windows.yaml": true}
	files = slices.DeleteFunc(files, func(f string) bool { return consumers[filepath.Base(f)] })
	if len(files) != len(checks) {
		t.Errorf("found %d examples in %s, want %d (add a check for a new one)", len(files), examplesDir, len(checks))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			doc := readYAML(t, file)
			var calls [][]string
			walkStrings(doc, func(s string) {
				if strings.ContainsAny(s, " \t\n") { // a command line, not a name such as a container's
					calls = append(calls, gorootimgCalls(s)...)
				}
			})
			walkLists(doc, func(l []string) {
				if len(l) > 1 && isGorootimg(l[0]) {
					calls = append(calls, l[1:])
				}
			})
			calls = append(calls, execCalls(doc)...)
			if len(calls) == 0 {
				t.Fatal("no gorootimg command line found")
			}
			pushes := false
			for _, c := range calls {
				if err := checkCall(c); err != nil {
					t.Errorf("gorootimg %s: %v", strings.Join(c, " "), err)
				}
				pushes = pushes || isPush(c)
			}
			if !pushes {
				t.Error("no gorootimg build --push or publish")
			}
			check, ok := checks[filepath.Base(file)]
			if !ok {
				t.Fatalf("no structure check for %s", file)
			}
			check(t, doc)
		})
	}
}

// TestCheckCall makes sure the checker rejects what it should.
func TestCheckCall(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
	}{
		{`gorootimg build --go 1.24 --platform linux/amd64 -t r/x:1 --push`, true},
		{`"$(go env GOPATH)/bin/gorootimg" build --recipe "$(params.recipe)" \` + "\n" + `  --sbom spdx --push -t x`, true},
		{`gorootimg build --frobnicate`, false},
		{`gorootimg build --go`, false},
		{`gorootimg bild --go 1.24`, false},
		{`gorootimg verify --platform linux/amd64 "$IMAGE"`, true},
		{`gorootimg verify --no-such-flag x`, false},
	}
	for _, tc := range tests {
		calls := gorootimgCalls(tc.line)
		if len(calls) != 1 {
			t.Errorf("gorootimgCalls(%q) = %q, want one call", tc.line, calls)
			continue
		}
		err := checkCall(calls[0])
		if (err == nil) != tc.ok {
			t.Errorf("checkCall(%q) = %v, want ok=%v", calls[0], err, tc.ok)
		}
	}
}

// checkCall parses args (without "gorootimg") with the named command's
// own flag set, the way runEnv does.
func checkCall(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command")
	}
	c, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	if strings.Contains(c.summary, "not implemented yet") {
		return fmt.Errorf("command %q is a stub", args[0])
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	return fs.Parse(args[1:])
}

// isPush reports whether a gorootimg call pushes: build --push, or
// publish without --dry-run.
func isPush(c []string) bool {
	return len(c) > 0 && (c[0] == "build" && contains(c, "--push") || c[0] == "publish" && !contains(c, "--dry-run"))
}

// execCalls returns the calls of containers and steps whose command is
// gorootimg alone and whose args are the rest (the exec form of an image
// whose entrypoint is gorootimg).
func execCalls(v any) [][]string {
	var out [][]string
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			out = append(out, execCalls(x)...)
		}
	case map[string]any:
		if cmd := strings_(v["command"]); len(cmd) == 1 && isGorootimg(cmd[0]) {
			out = append(out, strings_(v["args"]))
		}
		for _, x := range v {
			out = append(out, execCalls(x)...)
		}
	}
	return out
}

// strings_ returns v as a list of strings, nil unless it is one.
func strings_(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	return out
}

func isGorootimg(word string) bool {
	return word == "gorootimg" || strings.HasSuffix(word, "/gorootimg")
}

// ghExpr matches GitHub Actions expressions, which hold spaces.
var ghExpr = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

// gorootimgCalls returns the arguments of each gorootimg command in a shell
// script: continued lines joined, split at ; && || | and newlines, words
// unquoted. It is enough for the examples, not a shell parser.
func gorootimgCalls(script string) [][]string {
	script = ghExpr.ReplaceAllString(script, "EXPR")
	script = strings.ReplaceAll(script, "\\\n", " ")
	var calls [][]string
	for _, cmd := range splitCommands(script) {
		words := shellWords(cmd)
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:] // VAR=value prefixes
		}
		if len(words) > 0 && isGorootimg(words[0]) {
			var args []string
			for _, w := range words[1:] {
				if w == ">" || w == "2>" || w == "<" || strings.HasPrefix(w, ">") {
					break // redirections end the arguments
				}
				args = append(args, w)
			}
			calls = append(calls, args)
		}
	}
	return calls
}

// splitCommands splits at unquoted newlines, ;, &&, || and |.
func splitCommands(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	depth := 0 // inside $( )
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(' && i > 0 && s[i-1] == '$':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0 && (r == '\n' || r == ';' || r == '|' || r == '&'):
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(out, cur.String())
}

// shellWords splits a command into words, removing quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func readYAML(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing %s: %v", file, err)
	}
	return doc
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case map[string]any:
		for _, x := range v {
			walkStrings(x, f)
		}
	}
}

// walkLists calls f with every list made only of strings (exec-form
// commands such as [gorootimg, build, ...]).
func walkLists(v any, f func([]string)) {
	switch v := v.(type) {
	case []any:
		var ss []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				ss = append(ss, s)
			}
			walkLists(x, f)
		}
		if len(ss) == len(v) {
			f(ss)
		}
	case map[string]any:
		for _, x := range v {
			walkLists(x, f)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// get follows a path of map keys and list indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

// envValue returns the value of name in a Kubernetes/Tekton env list.
func envValue(env any, name string) string {
	l, _ := env.([]any)
	for _, e := range l {
		if str(get(e, "name")) == name {
			return str(get(e, "value"))
		}
	}
	return ""
}

func checkWorkflow(t *testing.T, doc map[string]any) {
	if get(doc, "on") == nil && get(doc, true) == nil {
		// YAML 1.1 readers turn "on" into true; yaml.v3 keeps the key.
		t.Error("workflow has no triggers (on:)")
	}
	jobs, _ := get(doc, "jobs").(map[string]any)
	if len(jobs) == 0 {
		t.Fatal("workflow has no jobs")
	}
	secretWritten, pushWithConfig := false, false
	for name, job := range jobs {
		if str(get(job, "runs-on")) == "" {
			t.Errorf("job %s has no runs-on", name)
		}
		steps, _ := get(job, "steps").([]any)
		for _, st := range steps {
			run := str(get(st, "run"))
			env, _ := get(st, "env").(map[string]any)
			for _, v := range env {
				if strings.Contains(str(v), "secrets.") && strings.Contains(run, "/docker/config.json") {
					secretWritten = true
				}
			}
			for _, c := range gorootimgCalls(run) {
				if isPush(c) {
					if !strings.HasSuffix(str(env["DOCKER_CONFIG"]), "/docker") {
						t.Errorf("the push step's DOCKER_CONFIG = %q, want the directory the secret is written to", env["DOCKER_CONFIG"])
					} else {
						pushWithConfig = true
					}
				}
			}
		}
	}
	if !secretWritten || !pushWithConfig {
		t.Errorf("credentials: secret written to docker/config.json = %v, push step with DOCKER_CONFIG = %v; want both", secretWritten, pushWithConfig)
	}
}

func checkTektonTask(t *testing.T, doc map[string]any) {
	if str(doc["apiVersion"]) != "tekton.dev/v1" || str(doc["kind"]) != "Task" {
		t.Fatalf("apiVersion/kind = %v/%v, want tekton.dev/v1 Task", doc["apiVersion"], doc["kind"])
	}
	params := map[string]bool{}
	for _, p := range get(doc, "spec", "params").([]any) {
		params[str(get(p, "name"))] = true
	}
	ws := map[string]bool{}
	for _, w := range get(doc, "spec", "workspaces").([]any) {
		ws[str(get(w, "name"))] = true
	}
	steps, _ := get(doc, "spec", "steps").([]any)
	found := false
	for _, st := range steps {
		script := str(get(st, "script"))
		text := script + " " + strings.Join(strings_(get(st, "args")), " ")
		// Every $(params.X) must be a declared parameter.
		for _, m := range regexp.MustCompile(`\$\(params\.([A-Za-z0-9_-]+)\)`).FindAllStringSubmatch(text, -1) {
			if !params[m[1]] {
				t.Errorf("step uses undeclared param %q", m[1])
			}
		}
		if len(gorootimgCalls(script)) == 0 && len(execCalls(st)) == 0 {
			continue
		}
		found = true
		dc := envValue(get(st, "env"), "DOCKER_CONFIG")
		m := regexp.MustCompile(`^\$\(workspaces\.([A-Za-z0-9_-]+)\.path\)$`).FindStringSubmatch(dc)
		if m == nil || !ws[m[1]] {
			t.Errorf("step DOCKER_CONFIG = %q, want $(workspaces.NAME.path) of a declared workspace", dc)
		}
	}
	if !found {
		t.Error("no step runs gorootimg")
	}
}

func checkJob(t *testing.T, doc map[string]any) {
	if str(doc["apiVersion"]) != "batch/v1" || str(doc["kind"]) != "Job" {
		t.Fatalf("apiVersion/kind = %v/%v, want batch/v1 Job", doc["apiVersion"], doc["kind"])
	}
	checkPod(t, get(doc, "spec", "template", "spec"))
}

func checkCronJob(t *testing.T, doc map[string]any) {
	if str(doc["apiVersion"]) != "batch/v1" || str(doc["kind"]) != "CronJob" {
		t.Fatalf("apiVersion/kind = %v/%v, want batch/v1 CronJob", doc["apiVersion"], doc["kind"])
	}
	if len(strings.Fields(str(get(doc, "spec", "schedule")))) != 5 {
		t.Errorf("schedule = %q, want a five-field cron schedule", get(doc, "spec", "schedule"))
	}
	checkPod(t, get(doc, "spec", "jobTemplate", "spec", "template", "spec"))
}

// checkPod checks a Job's pod: a restart policy a Job allows, and a
// container with a secret's .dockerconfigjson where DOCKER_CONFIG points.
func checkPod(t *testing.T, pod any) {
	if p := str(get(pod, "restartPolicy")); p != "Never" && p != "OnFailure" {
		t.Errorf("restartPolicy = %q, want Never or OnFailure (a Job requires it)", p)
	}
	secretVolumes := map[string]bool{} // volumes holding config.json from a secret
	vols, _ := get(pod, "volumes").([]any)
	for _, v := range vols {
		items, _ := get(v, "secret", "items").([]any)
		for _, it := range items {
			if str(get(it, "key")) == ".dockerconfigjson" && str(get(it, "path")) == "config.json" {
				secretVolumes[str(get(v, "name"))] = true
			}
		}
	}
	containers, _ := get(pod, "containers").([]any)
	ok := false
	for _, c := range containers {
		dc := envValue(get(c, "env"), "DOCKER_CONFIG")
		mounts, _ := get(c, "volumeMounts").([]any)
		for _, m := range mounts {
			if secretVolumes[str(get(m, "name"))] && str(get(m, "mountPath")) == dc && dc != "" {
				ok = true
			}
		}
	}
	if !ok {
		t.Error("no container mounts a secret's .dockerconfigjson as config.json where DOCKER_CONFIG points")
	}
}
