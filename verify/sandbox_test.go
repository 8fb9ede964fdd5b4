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
		label, version string
		want           []probes.Capability
		wantAll        bool
	}{
		{label: "", version: "go1.26.11", wantAll: true},
		{label: "full", version: "go1.22.12", wantAll: true},
		{label: "my-recipe.yaml", version: "go1.26.11", wantAll: true},
		{label: "minimal", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO}},
		{label: "build", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross}},
		// ci promises pprof and trace only where Go builds them on demand.
		{label: "ci", version: "go1.22.12", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools}},
		{label: "ci", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Cross, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools, probes.Profile}},
		{label: "ci-native", version: "go1.26.11", want: []probes.Capability{probes.Build, probes.CGO, probes.Test, probes.Race, probes.Cover,
			probes.CoverPkg, probes.JSON, probes.Fuzz, probes.Bench, probes.Vet, probes.Generate, probes.Fmt, probes.Mod, probes.Tools, probes.Profile}},
	} {
		rep := &Report{Recipe: tc.label, GoVersion: tc.version}
		r, err := (&verifier{}).resolveRecipe(rep)
		if err != nil {
			t.Fatalf("resolveRecipe(%q): %v", tc.label, err)
		}
		got, err := capabilitiesOf(r, tc.version)
		if err != nil {
			t.Fatalf("capabilitiesOf(%q, %s): %v", tc.label, tc.version, err)
		}
		switch {
		case tc.wantAll && len(got) != all:
			t.Errorf("capabilities of label %q = %v (%s), want all %d", tc.label, got, rep.CapabilitySource, all)
		case !tc.wantAll && !slices.Equal(got, tc.want):
			t.Errorf("capabilities of label %q on %s = %v, want %v", tc.label, tc.version, got, tc.want)
		}
	}
	// --recipe wins over the label.
	r, err := recipes.Lookup("build")
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{Recipe: "ci", GoVersion: "go1.26.11"}
	got, err := (&verifier{opts: options{recipe: r}}).capabilities(rep, r)
	if err != nil || slices.Contains(got, probes.Vet) || !slices.Contains(got, probes.Cross) || rep.CapabilitySource != "" {
		t.Errorf("capabilities(build recipe, label ci) = %v, %v (source %q), want build's", got, err, rep.CapabilitySource)
	}
}
