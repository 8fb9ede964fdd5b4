package assemble

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// verifyReport is the part of gorootimg verify --json the test reads.
type verifyReport struct {
	WarmCache string `json:"warm_cache"`
	Probes    []struct {
		Name, Status, Reason string
	} `json:"probes"`
}

// warmVerify runs gorootimg verify --warm-only on the warm image in the
// OCI layout dir: warm/no-std-compile and warm/build must pass. Then it
// hides a quarter of the image's cache with a whiteout layer: verify must
// fail warm/no-std-compile naming the standard-library packages it
// compiled.
func warmVerify(t *testing.T, bin string, env []string, dir string) {
	verifyOnce := func(dir string) (verifyReport, error) {
		t.Helper()
		start := time.Now()
		stdout, err := run(t, bin, env, "verify", "--warm-only", "--sandbox", "on", "--json", "oci:"+dir)
		t.Logf("verify --warm-only oci:%s took %v", filepath.Base(dir), time.Since(start).Round(time.Second))
		var rep verifyReport
		if jerr := json.Unmarshal([]byte(stdout), &rep); jerr != nil {
			t.Fatalf("verify --json: %v (%v)\n%s", jerr, err, stdout)
		}
		return rep, err
	}
	status := func(rep verifyReport, name string) (string, string) {
		for _, p := range rep.Probes {
			if p.Name == name {
				return p.Status, p.Reason
			}
		}
		return "missing", ""
	}

	rep, err := verifyOnce(dir)
	if err != nil {
		t.Errorf("verify of the warm image: %v", err)
	}
	if rep.WarmCache != "std" {
		t.Errorf("verify's warm_cache = %q, want std (the image's label)", rep.WarmCache)
	}
	for _, n := range []string{"warm/no-std-compile", "warm/build"} {
		if s, reason := status(rep, n); s != "pass" {
			t.Errorf("%s = %s, want pass: %s", n, s, reason)
		}
	}

	broken := filepath.Join(t.TempDir(), "broken")
	n := hideCache(t, dir, broken)
	rep, err = verifyOnce(broken)
	if err == nil {
		t.Errorf("verify of the image with %d cache files whited out passed, want exit 1", n)
	}
	s, reason := status(rep, "warm/no-std-compile")
	_, list, ok := strings.Cut(reason, "standard-library packages: ")
	if s != "fail" || !ok || list == "" {
		t.Fatalf("warm/no-std-compile with %d cache files whited out = %s (%q), want fail naming the standard-library packages compiled", n, s, reason)
	}
	for _, p := range strings.Fields(list) {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") || p == "main" {
			t.Errorf("warm/no-std-compile names %q, which is not a standard-library package: %s", p, reason)
		}
	}
	t.Logf("with %d cache files whited out: %s", n, reason)
}

// hideCache writes to the layout dst the image of the layout src plus a
// layer of whiteouts hiding the files of its top (warm-cache) layer in
// cache subdirectories 00 to 3f, and returns how many it hid.
func hideCache(t *testing.T, src, dst string) int {
	t.Helper()
	var idx v1.ImageIndex
	idx, err := layout.ImageIndexFromPath(src)
	if err != nil {
		t.Fatal(err)
	}
	var img v1.Image
	for img == nil { // the layout's index may hold the image's index
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		d := im.Manifests[0]
		if d.MediaType.IsIndex() {
			if idx, err = idx.ImageIndex(d.Digest); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if img, err = idx.Image(d.Digest); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[len(ls)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	n := 0
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, base := path.Split(strings.TrimSuffix(hdr.Name, "/"))
		if hdr.Typeflag != tar.TypeReg || !strings.ContainsAny(path.Base(d)[:1], "0123") || len(path.Base(d)) != 2 {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: d + ".wh." + base, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: hdr.ModTime}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("found %d files to hide in the warm-cache layer, want hundreds", n)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := mutate.AppendLayers(img, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Write(dst, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(hidden, layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture})); err != nil {
		t.Fatal(err)
	}
	return n
}
