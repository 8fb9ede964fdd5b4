package publishtest

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/faultproxy"
)

// TestPublishFault breaks the registry in the middle of a matrix: every
// blob upload after the first few fails. Every tag must then be where it
// was or on a complete new image, and the next run must finish the rest.
func TestPublishFault(t *testing.T) {
	w := newWorld(t)
	reg := startRegistry(t)
	reg.dockerConfig(t, filepath.Join(w.dir, "docker"))
	w.proxy.add("go1.25.4", platforms...)
	w.proxy.add("go1.26.1", platforms...)
	repo := reg.repo("ci/go")
	w.writeFile("images.yaml", matrixFile(repo, reg.pushBase(t)))
	first := w.publish("-f", "images.yaml")
	old := map[string]string{}
	for _, im := range first.Images {
		for _, m := range im.Moves {
			old[m.Tag] = m.To
		}
	}

	// A new release, and a registry that fails every blob upload after
	// the first few: no tag may move to an image whose blobs are missing.
	w.proxy.add("go1.26.2", platforms...)
	if err := reg.proxy.SetRules(faultproxy.Rule{Name: "upload", Method: "PUT", Path: "/blobs/uploads/", Skip: 3, Fault: faultproxy.Fail(http.StatusInternalServerError)}); err != nil {
		t.Fatal(err)
	}
	r := w.run("publish", "-f", "images.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "publishing go1.26.2") {
		t.Fatalf("publish with failing uploads: want exit 1 naming the image that failed, got %v", r)
	}
	if reg.proxy.Hits("upload") == 0 {
		t.Fatal("the upload fault never fired")
	}
	if moved := checkTags(t, reg, repo, old); len(moved) != 0 {
		t.Errorf("with uploads failing, tags %v moved", moved)
	}

	// Then a registry that refuses to move the tag 1.26: the image and
	// its first tag (1.26.2) go up, 1.26, 1 and latest stay, and the
	// bookworm image, published after it, goes up whole.
	if err := reg.proxy.SetRules(faultproxy.Rule{Name: "tag", Method: "PUT", Path: "/manifests/1.26$", Fault: faultproxy.Fail(http.StatusInternalServerError)}); err != nil {
		t.Fatal(err)
	}
	r = w.run("publish", "-f", "images.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "publishing go1.26.2:") || strings.Contains(r.stderr, "publishing go1.26.2 bookworm") {
		t.Fatalf("publish refusing tag 1.26: want exit 1 naming only go1.26.2, got %v", r)
	}
	moved := checkTags(t, reg, repo, old)
	if want := []string{"1-bookworm", "1.26-bookworm", "1.26.2", "1.26.2-bookworm", "bookworm"}; !slices.Equal(moved, want) {
		t.Errorf("with tag 1.26 refused, the tags moved are %v, want %v", moved, want)
	}

	// The registry recovers: the next run completes the rest.
	if err := reg.proxy.SetRules(); err != nil {
		t.Fatal(err)
	}
	rep := w.publish("-f", "images.yaml")
	for _, im := range rep.Images {
		if !im.Done || im.Error != "" {
			t.Errorf("after recovery, %s: done %v, error %q", im.Image, im.Done, im.Error)
		}
	}
	want := []string{"1", "1-bookworm", "1.25", "1.25-bookworm", "1.25.4", "1.25.4-bookworm",
		"1.26", "1.26-bookworm", "1.26.1", "1.26.1-bookworm", "1.26.2", "1.26.2-bookworm", "bookworm", "latest"}
	if got := reg.listTags(t, repo); !slices.Equal(got, want) {
		t.Errorf("after recovery, tags = %v, want %v", got, want)
	}
	for _, tag := range want {
		if err := reg.complete(t, repo+":"+tag); err != nil {
			t.Errorf("after recovery, %s: %v", tag, err)
		}
	}
	if again := w.publish("-f", "images.yaml"); !again.UpToDate {
		t.Errorf("a run after recovery is not up to date: pushed %v, moved %v", again.pushedImages(), again.movedTags())
	}
}

// checkTags checks every tag of repo names a complete image and is where
// it was (old) or new; it returns the tags that moved or are new, sorted.
func checkTags(t *testing.T, reg *registry, repo string, old map[string]string) []string {
	t.Helper()
	var moved []string
	for _, tag := range reg.listTags(t, repo) {
		d := reg.inspectIndex(t, repo+":"+tag).String()
		if d != old[tag] {
			moved = append(moved, tag)
		}
		if err := reg.complete(t, repo+":"+tag); err != nil {
			t.Errorf("%s (%s) is not a complete image: %v", tag, d, err)
		}
	}
	return moved
}

// TestPublishBadInput checks that a bad images file fails with a clear
// error before any work: no SDK download, no registry request.
func TestPublishBadInput(t *testing.T) {
	w := newWorld(t)
	reg := startRegistry(t)
	w.proxy.add("go1.25.4", platforms...)
	w.proxy.add("go1.26.1", platforms...)
	repo := reg.repo("ci/go")
	head := "repository: " + repo + "\n"
	tests := []struct {
		name, file string
		args       []string
		code       int
		want       string
	}{
		{"no file", "", []string{"publish"}, 2, "-f: no images file given"},
		{"arguments", "", []string{"publish", "-f", "x.yaml", "extra"}, 2, "publish takes no arguments"},
		{"unknown flag", "", []string{"publish", "--frobnicate"}, 2, "unknown flag"},
		{"missing file", "", []string{"publish", "-f", "missing.yaml"}, 1, "reading images file"},
		{"unknown key", head + "go: [supported]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\nfrobnicate: 1\n", nil, 1, `line 5: unknown key "frobnicate"`},
		{"bad selector", head + "go: [newest]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\n", nil, 1, `go: "newest": want supported, a line such as 1.26`},
		{"unknown release", head + "go: [\"1.99\"]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\n", nil, 1, "no Go release 1.99; newest is 1.26.1"},
		{"unknown patch", head + "go: [\"1.26.7\"]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\n", nil, 1, "1.26.7: no such release; newest 1.26 is 1.26.1"},
		{"platform not served", head + "go: [supported]\nplatforms: [linux/riscv64]\nvariants: [{name: \"\"}]\n", nil, 1, "no release is served for linux/riscv64"},
		{"invalid tag", head + "go: [supported]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\ntags: [\"{{.Version}}+build\"]\n", nil, 1, `renders "1.26.1+build" for go1.26.1: not a valid tag`},
		{"same tag twice", head + "go: [supported]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}, {name: b}]\ntags: [\"{{.Version}}\"]\n", nil, 1, `renders "1.26.1" for both go1.26.1 and go1.26.1 b`},
		{"unknown warm cache", head + "go: [supported]\nplatforms: [linux/amd64]\nvariants: [{name: \"\", warm-cache: [stdlib]}]\n", nil, 1, `variant "" (line 4): warm-cache: warm cache item "stdlib": want one of std, vet, race, tools`},
		{"credentials in repository", "repository: user:secret@" + repo + "\ngo: [supported]\nplatforms: [linux/amd64]\nvariants: [{name: \"\"}]\n", nil, 1, "repository: holds an @"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				w.writeFile("images.yaml", tc.file)
				args = []string{"publish", "-f", "images.yaml"}
			}
			zips, requests := w.proxy.zipHits(), len(reg.proxy.Log())
			r := w.run(args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit %d and stderr holding %q, got %v", tc.code, tc.want, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if strings.Contains(r.stderr, "secret") {
				t.Errorf("stderr echoes the credentials: %s", r.stderr)
			}
			if w.proxy.zipHits() != zips || len(reg.proxy.Log()) != requests {
				t.Errorf("work was done: %d SDK downloads, %d registry requests", w.proxy.zipHits()-zips, len(reg.proxy.Log())-requests)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(w.dir, "cache", "build")); err == nil {
		t.Error("a build cache was made")
	}
}
