package publishtest

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gorootimg/gorootimg/provenance"
)

var platforms = []string{"linux/amd64", "linux/arm64"}

// matrixFile is the example file: the supported lines, two
// platforms, a variant on scratch and one on a base.
func matrixFile(repo, base string) string {
	return fmt.Sprintf(`repository: %s
go: [supported]
platforms: [linux/amd64, linux/arm64]
variants:
  - name: ""
    recipe: slim
  - name: bookworm
    recipe: slim
    base: %s
`, repo, base)
}

// TestPublishMatrix publishes a matrix of 2 releases x 2 platforms x 2
// variants, then again after a new patch release, then once more.
func TestPublishMatrix(t *testing.T) {
	w := newWorld(t)
	reg := startRegistry(t)
	w.proxy.add("go1.25.4", platforms...)
	w.proxy.add("go1.26.0", platforms...)
	w.proxy.add("go1.26.1", platforms...)
	w.proxy.add("go1.24.13", "linux/amd64") // not supported: an old line
	repo := reg.repo("ci/go")
	reg.dockerConfig(t, filepath.Join(w.dir, "docker"))
	w.writeFile("images.yaml", matrixFile(repo, reg.pushBase(t)))

	// A dry run plans everything and pushes nothing.
	dry := w.publish("-f", "images.yaml", "--dry-run")
	if !dry.DryRun || dry.Pushed != 4 || reg.blobPuts() != 0 || len(reg.manifestPuts()) != 0 {
		t.Fatalf("dry run: pushed %d, %d blob PUTs, manifest PUTs %v; want 4 planned and nothing pushed", dry.Pushed, reg.blobPuts(), reg.manifestPuts())
	}

	// First run: the whole matrix, under the official scheme.
	first := w.publish("-f", "images.yaml")
	want := []string{"1", "1-bookworm", "1.25", "1.25-bookworm", "1.25.4", "1.25.4-bookworm",
		"1.26", "1.26-bookworm", "1.26.1", "1.26.1-bookworm", "bookworm", "latest"}
	if got := reg.listTags(t, repo); !slices.Equal(got, want) {
		t.Errorf("after the first run, skopeo list-tags = %v, want %v", got, want)
	}
	if first.Pushed != 4 || first.Moved != len(want) {
		t.Errorf("first run pushed %d images and moved %d tags, want 4 and %d", first.Pushed, first.Moved, len(want))
	}
	digests := map[string]string{}
	for _, im := range first.Images {
		for _, m := range im.Moves {
			digests[m.Tag] = im.Digest
		}
	}
	for _, tag := range want {
		if d := reg.inspectIndex(t, repo+":"+tag); d.String() != digests[tag] {
			t.Errorf("%s points at %s, want %s as the report says", tag, d, digests[tag])
		}
	}
	if first.Images[0].Digest != dry.Images[0].Digest {
		t.Errorf("the dry run planned %s and the run pushed %s", dry.Images[0].Digest, first.Images[0].Digest)
	}
	checkProvenance(t, w, reg, repo+":1.26.1")

	// A new patch release: only the 1.26 line's images and tags change.
	w.proxy.add("go1.26.2", platforms...)
	manifestsBefore, blobsBefore := len(reg.manifestPuts()), reg.blobPuts()
	second := w.publish("-f", "images.yaml")
	if got, want := second.pushedImages(), []string{"go1.26.2", "go1.26.2 bookworm"}; !slices.Equal(got, want) {
		t.Errorf("second run pushed %v, want %v", got, want)
	}
	wantMoved := []string{"1", "1-bookworm", "1.26", "1.26-bookworm", "1.26.2", "1.26.2-bookworm", "bookworm", "latest"}
	if got := second.movedTags(); !slices.Equal(got, wantMoved) {
		t.Errorf("second run moved %v, want %v", got, wantMoved)
	}
	for _, ref := range reg.manifestPuts()[manifestsBefore:] {
		if !strings.HasPrefix(ref, "sha256") && !slices.Contains(wantMoved, ref) {
			t.Errorf("second run PUT a manifest under tag %s", ref)
		}
	}
	if reg.blobPuts() == blobsBefore {
		t.Error("second run pushed no blob; the new release's layers are new")
	}
	if d := reg.inspectIndex(t, repo+":1.26.1"); d.String() != digests["1.26.1"] {
		t.Errorf("1.26.1 moved to %s; a release's own tag stays", d)
	}
	if d := reg.inspectIndex(t, repo+":1.25"); d.String() != digests["1.25"] {
		t.Errorf("1.25 moved to %s, want it left on %s", d, digests["1.25"])
	}

	// Third run: nothing new, nothing pushed, and it says so.
	puts, manifests := reg.blobPuts(), len(reg.manifestPuts())
	r := w.run("publish", "-f", "images.yaml")
	if r.code != 0 {
		t.Fatalf("third run: %v", r)
	}
	if reg.blobPuts() != puts || len(reg.manifestPuts()) != manifests {
		t.Errorf("third run: %d blob PUTs and %d manifest PUTs, want none", reg.blobPuts()-puts, len(reg.manifestPuts())-manifests)
	}
	if !strings.Contains(r.stdout, "is up to date") || !strings.Contains(r.stdout, "no blob pushed, no tag moved") {
		t.Errorf("third run stdout does not say it is up to date:\n%s", r.stdout)
	}
	for _, out := range []string{r.stdout, r.stderr, w.run("publish", "--json", "-f", "images.yaml").stdout} {
		if strings.Contains(out, reg.reg.Password) {
			t.Errorf("output holds the registry password:\n%s", out)
		}
	}
	for _, im := range second.Images {
		if fresh := strings.HasPrefix(im.Release, "go1.26.2"); im.Cached == fresh {
			t.Errorf("second run: %s cached = %v; want only the new release's layers written", im.Image, im.Cached)
		}
	}
}

// checkProvenance fetches the provenance referrer of ref's linux/amd64
// image, validates it and checks it names the SDK hash "gorootimg sdk"
// reports for that release.
func checkProvenance(t *testing.T, w *world, reg *registry, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithAuth(reg.auth))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	sub := im.Manifests[0] // linux/amd64
	refs, err := remote.Referrers(r.Context().Digest(sub.Digest.String()), remote.WithAuth(reg.auth))
	if err != nil {
		t.Fatal(err)
	}
	rim, err := refs.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var statement []byte
	for _, d := range rim.Manifests {
		kinds = append(kinds, d.ArtifactType)
		if d.ArtifactType != provenance.ArtifactType {
			continue
		}
		art, err := remote.Image(r.Context().Digest(d.Digest.String()), remote.WithAuth(reg.auth))
		if err != nil {
			t.Fatal(err)
		}
		ls, err := art.Layers()
		if err != nil || len(ls) != 1 {
			t.Fatalf("provenance artifact: %d layers, %v", len(ls), err)
		}
		rc, err := ls[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		statement, _ = io.ReadAll(rc)
		rc.Close()
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"application/spdx+json", provenance.ArtifactType}) {
		t.Fatalf("referrers of %s@%s have artifact types %v, want an SBOM and a provenance statement", ref, sub.Digest, kinds)
	}
	if err := provenance.Validate(statement); err != nil {
		t.Errorf("provenance.Validate = %v", err)
	}
	res := w.run("sdk", "--go", "1.26.1", "--platform", "linux/amd64", "--json")
	var sdks []struct{ Hash, Source string }
	if err := json.Unmarshal([]byte(res.stdout), &sdks); err != nil || len(sdks) != 1 || sdks[0].Hash == "" {
		t.Fatalf("gorootimg sdk --json: %v %v", err, res)
	}
	var st struct {
		Subject   []struct{ Digest map[string]string }
		Predicate struct {
			BuildDefinition struct {
				ResolvedDependencies []struct {
					Name        string
					Annotations map[string]string
				}
			}
		}
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		t.Fatal(err)
	}
	if st.Subject[0].Digest["sha256"] != sub.Digest.Hex {
		t.Errorf("provenance subject %v, want the linux/amd64 image %s", st.Subject[0].Digest, sub.Digest)
	}
	found := false
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		found = found || d.Name == sdks[0].Source && d.Annotations["hash"] == sdks[0].Hash
	}
	if !found {
		t.Errorf("provenance dependencies %+v do not name %s with hash %s (gorootimg sdk)", st.Predicate.BuildDefinition.ResolvedDependencies, sdks[0].Source, sdks[0].Hash)
	}
}
