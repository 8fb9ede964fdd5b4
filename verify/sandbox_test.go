package verify

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gorootimg/gorootimg/probes"
	"github.com/gorootimg/gorootimg/recipes"
)

func TestFindCC(t *testing.T) {
	root := t.TempDir()
	// Debian's layout: /bin -> usr/bin, cc -> /etc/alternatives/cc -> /usr/bin/gcc-12.
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc/alternatives"), 0o755)
	os.Symlink("usr/bin", filepath.Join(root, "bin"))
	if got := findCC(root); got != "" {
		t.Errorf("findCC(empty root) = %q, want none", got)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/gcc-12"), []byte("#!"), 0o755)
	os.Symlink("/etc/alternatives/cc", filepath.Join(root, "usr/bin/cc"))
	os.Symlink("/usr/bin/gcc-12", filepath.Join(root, "etc/alternatives/cc"))
	if got := findCC(root); got != "/usr/bin/cc" {
		t.Errorf("findCC = %q, want /usr/bin/cc (through absolute symlinks inside the root)", got)
	}
	// A symlink pointing at the host's gcc does not count.
	os.Remove(filepath.Join(root, "etc/alternatives/cc"))
	os.Symlink("/nonexistent-in-root/gcc", filepath.Join(root, "etc/alternatives/cc"))
	if got := findCC(root); got != "" {
		t.Errorf("findCC with a dangling link = %q, want none", got)
	}
}

func TestRequiredCapabilities(t *testing.T) {
	all := len(probes.AllCapabilities)
	for _, tc := range []struct {
		label   string
		want    []probes.Capability
		wantAll bool
	}{
		{label: "", wantAll: true},
		{label: "full", wantAll: true},
		{label: "my-recipe.yaml", wantAll: true},
		{label: "minimal", want: []probes.Capability{probes.Build, probes.CGO}},
		{label: "build", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross}},
	} {
		got, source, err := requiredCapabilities(nil, tc.label)
		if err != nil {
			t.Fatalf("requiredCapabilities(%q): %v", tc.label, err)
		}
		switch {
		case tc.wantAll && len(got) != all:
			t.Errorf("requiredCapabilities(%q) = %v (%s), want all %d", tc.label, got, source, all)
		case !tc.wantAll && !slices.Equal(got, tc.want):
			t.Errorf("requiredCapabilities(%q) = %v, want %v", tc.label, got, tc.want)
		}
	}
	// --recipe wins over the label.
	r, err := recipes.Lookup("build")
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := requiredCapabilities(r, "ci")
	if slices.Contains(got, probes.Vet) || !slices.Contains(got, probes.Cross) {
		t.Errorf("requiredCapabilities(build recipe, label ci) = %v, want build's", got)
	}
}
