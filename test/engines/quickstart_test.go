package engines

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// quickStartSteps are the driver steps the README's first command's image
// must pass as root: build, test and the two cross builds. A uid with no
// passwd entry runs the first three (quickStartUserSteps): they write to
// the image's GOCACHE as that uid, which is what differs by user; the
// cross builds compile the same files into the same cache, and
// TestEngines' rows already run them as uid 1000 in the release's image.
var quickStartSteps = []string{"env", "build", "test-cover", "cross-windows", "cross-darwin"}

// quickStartUserSteps are the steps run as --user 1000:1000.
var quickStartUserSteps = quickStartSteps[:3]

// TestQuickStartImage is the README's first command in podman. It is a
// test of its own, with its own podman store, so that it runs beside
// TestEngines rather than after its rows: it is the longest chain of
// test/engines otherwise.
func TestQuickStartImage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds an image of the local SDK and runs builds in it in podman")
	}
	t.Parallel() // beside TestEngines, TestAudit and TestRuntimes: own podman store
	newFixture(t).testQuickStart(t)
}

// testQuickStart runs the README's first command as a new user does: in
// an empty directory with no flags, so the local SDK (the go that runs the
// tests), the default recipe and an OCI layout in ./gorootimg-out. It
// pulls that layout into podman and, as root and as a uid with no passwd
// entry, with no extra flags, builds and tests a module; as root it also
// cross-compiles it to windows and darwin. The local SDK is not the release the table's
// columns name, so these are checks of their own, not rows.
func (f *fixture) testQuickStart(t *testing.T) {
	// podman names an image pulled from oci:PATH after PATH, and an image
	// name must be lower case: t.TempDir's path is not.
	dir, err := os.MkdirTemp("", "gorootimg-quickstart-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, "build")
	cmd.Dir = dir
	r, err := enginetest.Exec(cmd)
	if err != nil {
		t.Fatal(err)
	}
	digest := strings.TrimSpace(r.Stdout)
	if !regexp.MustCompile(`\Asha256:[0-9a-f]{64}\z`).MatchString(digest) {
		t.Fatalf("gorootimg build printed %q on stdout, want the index digest alone", r.Stdout)
	}
	t.Logf("gorootimg build (no flags): %s in %v", digest, r.Took.Round(time.Second))

	layout := filepath.Join(dir, "gorootimg-out")
	out, err := f.podman("pull", "-q", "oci:"+layout)
	if err != nil {
		t.Fatalf("podman pull oci:%s: %v", layout, err)
	}
	id := strings.TrimSpace(out)
	if i := strings.LastIndex(id, "\n"); i >= 0 {
		id = id[i+1:]
	}
	want, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	got, err := f.podman(append(enginetest.RunArgs(), id, "go", "env", "GOVERSION")...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
		t.Errorf("the image's go is %q, want the local SDK's %q", strings.TrimSpace(got), strings.TrimSpace(string(want)))
	}

	for _, user := range []string{"", "1000:1000"} {
		who, steps := "root", quickStartSteps
		if user != "" {
			who, steps = "--user "+user, quickStartUserSteps
		}
		res, out, err := f.drive(t, id, user, steps...)
		if err != nil {
			t.Errorf("%s: %v", who, err)
			continue
		}
		if err := checkUser(res["env"], user); err != nil {
			t.Errorf("%s: %v", who, err)
		}
		for _, s := range steps[1:] {
			spec, _ := specOf(s)
			if err := judgeStep(spec, res, out); err != nil {
				t.Errorf("%s: %s: %v", who, spec.scenario, err)
				continue
			}
			t.Logf("%s: %s: pass (%.1f s)", who, spec.scenario, res[s].Seconds)
		}
	}
}
