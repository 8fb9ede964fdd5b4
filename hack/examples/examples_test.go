package examples

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gorootimg/gorootimg/matrix"
)

// job is one container a consumer example runs: a GitLab CI job, a GitHub
// Actions container job, a Tekton step.
type job struct {
	where string // file: job or step
	image string
	shell bool // runs its commands through sh
	race  bool // go test -race: cgo, so a C compiler
	sec   map[string]any
	tmp   bool   // a writable volume at /tmp
	ltsc  string // the Windows release of the job's runner ("ltsc2022"); "" on Linux
}

// base is what an image of ci-images.yaml has: from its base, a shell and
// a C compiler; its own numeric user (the variant's user:), if any.
type base struct {
	shell, cc bool
	user      string
	ltsc      string // a Windows base's release ("ltsc2022"); "" for Linux
}

// consumers are the consumer examples and how each is read.
var consumers = []struct {
	file string
	jobs func(doc map[string]any) []job
}{
	{"gitlab-ci.yaml", gitlabJobs},
	{"github-actions-container.yaml", actionsJobs},
	{"tekton-go-test.yaml", tektonSteps},
	{"github-actions-windows.yaml", windowsJobs},
}

// TestConsumerExamples reads each consumer example and checks that every
// job names an image of ci-images.yaml whose base has what the job needs
// (a shell for script steps, gcc for -race), and that a restricted
// security context is complete (a numeric user, /tmp writable on a
// read-only root).
func TestConsumerExamples(t *testing.T) {
	images := imagesOf(t, "ci-images.yaml")
	for _, c := range consumers {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("reading %s: %v", c.file, err)
			}
			jobs := c.jobs(doc)
			if len(jobs) == 0 {
				t.Fatalf("%s: no job found; the reader would prove nothing", c.file)
			}
			for _, j := range jobs {
				for _, err := range checkJob(j, images) {
					t.Errorf("%s: %s: %v", c.file, j.where, err)
				}
			}
		})
	}
}

// TestCheckJob shows that checkJob refuses what a CI system would fail on.
func TestCheckJob(t *testing.T) {
	images := map[string]base{"r/go:1.26": {}, "r/go:1.26-bookworm": {shell: true, cc: true}, "r/go:1.26-user": {user: "65532:0"},
		"r/go:1.26-nanoserver-ltsc2022": {ltsc: "ltsc2022"}}
	restricted := func() map[string]any {
		return map[string]any{"runAsNonRoot": true, "runAsUser": 1000, "readOnlyRootFilesystem": true,
			"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}},
			"seccompProfile": map[string]any{"type": "RuntimeDefault"}}
	}
	noUser := restricted()
	delete(noUser, "runAsUser")
	tests := []struct {
		name string
		j    job
		want string // "" for no error
	}{
		{"script on scratch", job{image: "r/go:1.26", shell: true}, "no shell"},
		{"race on scratch", job{image: "r/go:1.26", race: true}, "no C compiler"},
		{"script and race on bookworm", job{image: "r/go:1.26-bookworm", shell: true, race: true}, ""},
		{"unknown image", job{image: "golang:1.26"}, "not an image of ci-images.yaml"},
		{"restricted", job{image: "r/go:1.26", sec: restricted(), tmp: true}, ""},
		{"read-only root without /tmp", job{image: "r/go:1.26", sec: restricted()}, "no writable /tmp"},
		{"runAsNonRoot without runAsUser", job{image: "r/go:1.26", sec: noUser, tmp: true}, "no runAsUser"},
		{"runAsNonRoot without runAsUser, numeric image user", job{image: "r/go:1.26-user", sec: noUser, tmp: true}, ""},
		{"windows image on its runner", job{image: "r/go:1.26-nanoserver-ltsc2022", ltsc: "ltsc2022"}, ""},
		{"windows image on another release", job{image: "r/go:1.26-nanoserver-ltsc2022", ltsc: "ltsc2019"}, "runs only its own release"},
		{"windows image on linux", job{image: "r/go:1.26-nanoserver-ltsc2022"}, "a Linux job cannot run it"},
		{"linux image on windows", job{image: "r/go:1.26", ltsc: "ltsc2022"}, "a Linux image"},
		{"privileged escalation allowed", job{image: "r/go:1.26", sec: map[string]any{"runAsNonRoot": true, "runAsUser": 1}}, "allowPrivilegeEscalation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := checkJob(tc.j, images)
			got := fmt.Sprint(errs)
			if tc.want == "" && len(errs) > 0 || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("checkJob(%+v) = %v, want %q", tc.j, errs, tc.want)
			}
		})
	}
}

// checkJob returns what is wrong with j given the images by reference.
func checkJob(j job, images map[string]base) []error {
	var errs []error
	b, ok := images[j.image]
	switch {
	case !ok:
		errs = append(errs, fmt.Errorf("image %q: not an image of ci-images.yaml", j.image))
	case j.shell && !b.shell:
		errs = append(errs, fmt.Errorf("image %q has no shell; the job runs through sh", j.image))
	case j.race && !b.cc:
		errs = append(errs, fmt.Errorf("image %q has no C compiler; go test -race needs cgo", j.image))
	case j.ltsc != b.ltsc && b.ltsc == "":
		errs = append(errs, fmt.Errorf("image %q is a Linux image; a %s runner runs Windows containers", j.image, j.ltsc))
	case j.ltsc != b.ltsc && j.ltsc == "":
		errs = append(errs, fmt.Errorf("image %q is a Windows image; a Linux job cannot run it", j.image))
	case j.ltsc != b.ltsc:
		errs = append(errs, fmt.Errorf("image %q is for Windows %s; a %s runner runs only its own release", j.image, b.ltsc, j.ltsc))
	}
	if j.sec == nil {
		return errs
	}
	if j.sec["readOnlyRootFilesystem"] == true && !j.tmp {
		errs = append(errs, fmt.Errorf("read-only root with no writable /tmp (an emptyDir)"))
	}
	if j.sec["runAsNonRoot"] == true {
		if _, ok := j.sec["runAsUser"]; !ok && b.user == "" {
			errs = append(errs, fmt.Errorf("runAsNonRoot with no runAsUser, and image %q has no numeric user (user: in ci-images.yaml): the kubelet refuses it", j.image))
		}
		// The restricted Pod Security profile's other demands.
		caps, _ := j.sec["capabilities"].(map[string]any)
		seccomp, _ := j.sec["seccompProfile"].(map[string]any)
		if j.sec["allowPrivilegeEscalation"] != false || !slices.Contains(list(caps["drop"]), any("ALL")) || seccomp["type"] != "RuntimeDefault" {
			errs = append(errs, fmt.Errorf("runAsNonRoot without the rest of the restricted profile: allowPrivilegeEscalation false, capabilities drop ALL, seccompProfile RuntimeDefault"))
		}
	}
	return errs
}

// imagesOf returns the references of the images an images file makes
// (its go selectors must be lines or releases: the tags 1.26 and
// 1.26-NAME), with what each one's base has.
func imagesOf(t *testing.T, file string) map[string]base {
	t.Helper()
	f, err := matrix.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]base{}
	for _, v := range f.Variants {
		b := baseOf(t, v.Base)
		b.user = v.User
		for _, g := range f.Go {
			tag := string(g)
			if v.Name != "" {
				tag += "-" + v.Name
			}
			out[f.Repository+":"+tag] = b
		}
	}
	return out
}

// baseOf reads what a base has from the file it is built from: scratch
// has nothing; registry.example/ci/go-base:* is Dockerfile.base, a Debian
// (sh) with the packages its apt-get install names.
func baseOf(t *testing.T, ref string) base {
	t.Helper()
	switch {
	case ref == "" || ref == "scratch":
		return base{}
	case strings.HasPrefix(ref, "registry.example/windows/nanoserver:"):
		return base{ltsc: strings.TrimPrefix(ref, "registry.example/windows/nanoserver:")}
	case strings.HasPrefix(ref, "registry.example/ci/go-base:"):
		b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile.base"))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		return base{shell: strings.Contains(s, "debian:"), cc: regexp.MustCompile(`(?m)^\s+gcc \\$`).MatchString(s)}
	}
	t.Fatalf("base %q: the test does not know what it is built from", ref)
	return base{}
}

func list(v any) []any { l, _ := v.([]any); return l }

func str(v any) string { s, _ := v.(string); return s }

func gitlabJobs(doc map[string]any) []job {
	def, _ := doc["default"].(map[string]any)
	var jobs []job
	for name, v := range doc {
		m, ok := v.(map[string]any)
		if !ok || m["script"] == nil {
			continue
		}
		image := imageName(m["image"])
		if image == "" {
			image = imageName(def["image"])
		}
		jobs = append(jobs, job{where: name, image: image, shell: true, race: mentionsRace(m["script"])})
	}
	return jobs
}

// imageName reads GitLab's image: a string or {name: ...}.
func imageName(v any) string {
	if m, ok := v.(map[string]any); ok {
		return str(m["name"])
	}
	return str(v)
}

func actionsJobs(doc map[string]any) []job {
	jobsMap, _ := doc["jobs"].(map[string]any)
	var jobs []job
	for name, v := range jobsMap {
		m, _ := v.(map[string]any)
		c, _ := m["container"].(map[string]any)
		image := str(c["image"])
		if image == "" {
			image = str(m["container"])
		}
		if image == "" {
			continue
		}
		j := job{where: name, image: image}
		for _, s := range list(m["steps"]) {
			sm, _ := s.(map[string]any)
			// A run: step goes through sh; a uses: step runs node (glibc),
			// which a shell-less scratch image lacks as well.
			if sm["run"] != nil || sm["uses"] != nil {
				j.shell = true
			}
			j.race = j.race || mentionsRace(sm["run"])
		}
		jobs = append(jobs, j)
	}
	return jobs
}

func tektonSteps(doc map[string]any) []job {
	spec, _ := doc["spec"].(map[string]any)
	tmpl, _ := spec["stepTemplate"].(map[string]any)
	var jobs []job
	for _, s := range list(spec["steps"]) {
		m, _ := s.(map[string]any)
		sec, _ := m["securityContext"].(map[string]any)
		if sec == nil {
			sec, _ = tmpl["securityContext"].(map[string]any)
		}
		j := job{where: str(m["name"]), image: str(m["image"]), sec: sec,
			shell: m["script"] != nil, race: mentionsRace(m["script"]) || mentionsRace(m["args"])}
		for _, vm := range append(list(tmpl["volumeMounts"]), list(m["volumeMounts"])...) {
			vmm, _ := vm.(map[string]any)
			j.tmp = j.tmp || vmm["mountPath"] == "/tmp" && vmm["readOnly"] != true
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// mentionsRace says whether a script (a string or a list of them) runs
// go test -race.
func mentionsRace(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, "go test") && strings.Contains(v, "-race")
	case []any:
		return slices.ContainsFunc(v, mentionsRace) || slices.Contains(v, any("-race"))
	}
	return false
}

// windowsRunners are the Windows releases of GitHub's Windows runners.
var windowsRunners = map[string]string{"windows-2022": "ltsc2022", "windows-2019": "ltsc2019", "windows-2025": "ltsc2025"}

// windowsJobs reads the jobs of a workflow on Windows runners: each image
// its steps run with docker run must be a Windows image of the runner's
// release, and the steps must build and test.
func windowsJobs(doc map[string]any) []job {
	jobsMap, _ := doc["jobs"].(map[string]any)
	var jobs []job
	for name, v := range jobsMap {
		m, _ := v.(map[string]any)
		ltsc, ok := windowsRunners[str(m["runs-on"])]
		if !ok {
			continue
		}
		var build, test bool
		for _, s := range list(m["steps"]) {
			run := str(s.(map[string]any)["run"])
			f := strings.Fields(run)
			if len(f) < 2 || f[0] != "docker" || f[1] != "run" {
				continue
			}
			build, test = build || strings.Contains(run, " go build "), test || strings.Contains(run, " go test ")
			for _, w := range f {
				if strings.HasPrefix(w, "registry.example/ci/go:") {
					jobs = append(jobs, job{where: name, image: w, ltsc: ltsc})
				}
			}
		}
		if !build || !test {
			jobs = append(jobs, job{where: name + " (no docker run ... go build and go test)", image: "missing"})
		}
	}
	return jobs
}
