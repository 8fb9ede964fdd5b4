package publishtest

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gorootimg/gorootimg/testkit/wintest"
)

// TestPublishWindows publishes one Linux and one Windows variant (issue
// 23's third "done when" line): the Windows one on a synthetic
// nanoserver-ltsc2022 base, with its own platforms and the official
// images' tags, and checks tags and platform fields with skopeo.
func TestPublishWindows(t *testing.T) {
	w := newWorld(t)
	reg := startRegistry(t)
	w.proxy.add("go1.26.1", "linux/amd64", "windows/amd64")
	repo := reg.repo("ci/go")
	reg.dockerConfig(t, filepath.Join(w.dir, "docker"))
	base := reg.reg.Host + "/windows/nanoserver:ltsc2022"
	tag, err := name.NewTag(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, wintest.Base(t), remote.WithAuth(reg.auth)); err != nil {
		t.Fatal(err)
	}
	w.writeFile("images.yaml", fmt.Sprintf(`repository: %s
go: ["1.26"]
platforms: [linux/amd64]
variants:
  - name: ""
    recipe: slim
  - name: nanoserver-ltsc2022
    recipe: slim
    platforms: [windows/amd64]
    base: %s
`, repo, base))
	rep := w.publish("-f", "images.yaml")
	want := []string{"1", "1-nanoserver-ltsc2022", "1.26", "1.26-nanoserver-ltsc2022", "1.26.1", "1.26.1-nanoserver-ltsc2022", "latest", "nanoserver-ltsc2022"}
	if got := reg.listTags(t, repo); !slices.Equal(got, want) {
		t.Errorf("skopeo list-tags = %v, want %v", got, want)
	}
	if rep.Pushed != 2 {
		t.Errorf("publish pushed %d images, want 2", rep.Pushed)
	}
	for _, tc := range []struct{ tag, os, osVersion string }{
		{"1.26.1", "linux", ""},
		{"1.26.1-nanoserver-ltsc2022", "windows", wintest.OSVersion},
	} {
		idx := skopeoJSON[v1.IndexManifest](t, reg, "inspect", "--raw", "docker://"+repo+":"+tc.tag)
		if len(idx.Manifests) != 1 || idx.Manifests[0].Platform == nil {
			t.Fatalf("%s: index %+v, want one platform image", tc.tag, idx)
		}
		p := idx.Manifests[0].Platform
		if p.OS != tc.os || p.Architecture != "amd64" || p.OSVersion != tc.osVersion {
			t.Errorf("%s: index platform %+v, want %s/amd64 os.version %q", tc.tag, p, tc.os, tc.osVersion)
		}
		cf := skopeoJSON[v1.ConfigFile](t, reg, "inspect", "--config", "--raw", "--override-os", tc.os, "docker://"+repo+"@"+idx.Manifests[0].Digest.String())
		if cf.OS != tc.os || cf.OSVersion != tc.osVersion {
			t.Errorf("%s: config platform %s %q, want %s %q", tc.tag, cf.OS, cf.OSVersion, tc.os, tc.osVersion)
		}
		if tc.os == "windows" && !slices.Contains(cf.Config.Env, `GOROOT=C:\Program Files\Go`) {
			t.Errorf("%s: Env %q, want GOROOT=C:\\Program Files\\Go", tc.tag, cf.Config.Env)
		}
	}
}

// skopeoJSON runs skopeo with the registry's credentials and decodes its
// JSON output.
func skopeoJSON[T any](t *testing.T, reg *registry, args ...string) T {
	t.Helper()
	args = append([]string{args[0], "--tls-verify=false", reg.creds()}, args[1:]...)
	out, err := exec.Command("skopeo", args...).Output()
	if err != nil {
		t.Fatalf("skopeo %v: %v", args, err)
	}
	var v T
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("skopeo %v: %v", args, err)
	}
	return v
}
