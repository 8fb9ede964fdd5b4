package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
)

// Layout publishes to an OCI image layout directory.
type Layout struct {
	dir, tag string
	o        options
}

// NewLayout returns the publisher of the layout dir, which tags the index
// tag (the org.opencontainers.image.ref.name annotation; "latest" when
// empty) and each referrer KIND-<first 12 hex digits of its subject>
// ("sbom-0123456789ab").
func NewLayout(dir, tag string, opts ...Option) (*Layout, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if tag == "" {
		tag = "latest"
	}
	return &Layout{dir: dir, tag: tag, o: o}, nil
}

// Check returns an error unless the directory is missing, empty or an OCI
// image layout.
func (l *Layout) Check(context.Context) error { return CheckLayout(l.dir) }

// Publish writes res's index and its referrers' artifacts to the layout.
//
// A new layout is written under a temporary name next to the directory and
// renamed into place at the end. An existing layout gets, under a lock on
// the directory, the blobs it lacks and a new index.json, written to a
// temporary name and renamed, in which the entries for our tags are
// replaced; an interrupted write leaves the previous layout intact. An
// existing directory that is neither empty nor an OCI layout is refused.
func (l *Layout) Publish(ctx context.Context, res *assemble.Result) error {
	arts, err := referrerArtifacts(res)
	if err != nil {
		return err
	}
	entries, err := l.entries(res.Index, arts)
	if err != nil {
		return err
	}
	imgs := make([]v1.Image, len(arts))
	for i, a := range arts {
		imgs[i] = a.art
	}
	if err := writeLayout(ctx, l.dir, layoutAddition{index: res.Index, images: imgs, entries: entries}); err != nil {
		return err
	}
	l.o.logf("wrote OCI layout %s", l.dir)
	for _, a := range arts {
		l.o.logf("added %s %s for %s to %s", a.Kind, a.digest, imageref.FormatPlatform(a.image.Platform), l.dir)
	}
	return nil
}

// entries are the index.json entries of res: the index under the tag,
// with WithPlatformTags each platform's image, and each referrer.
func (l *Layout) entries(idx v1.ImageIndex, arts []referrerArtifact) ([]v1.Descriptor, error) {
	d, err := partial.Descriptor(idx)
	if err != nil {
		return nil, err
	}
	top := v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: refName(l.tag)}
	entries := []v1.Descriptor{top}
	if l.o.platformTags {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, m := range im.Manifests {
			if m.Platform == nil {
				continue
			}
			m.Annotations = refName(PlatformTag(l.tag, *m.Platform))
			entries = append(entries, m)
		}
	}
	for _, a := range arts {
		d, err := partial.Descriptor(a.art)
		if err != nil {
			return nil, err
		}
		d.Annotations = refName(strings.ToLower(a.Kind) + "-" + a.subject.Digest.Hex[:12])
		entries = append(entries, *d)
	}
	return entries, nil
}

func refName(tag string) map[string]string {
	return map[string]string{imageref.AnnotationRefName: tag}
}

// PlatformTag is the tag WithPlatformTags gives platform p's image under
// tag: TAG-OS-ARCH, or TAG-OS-ARCH-VARIANT.
func PlatformTag(tag string, p v1.Platform) string {
	t := tag + "-" + p.OS + "-" + p.Architecture
	if p.Variant != "" {
		t += "-" + p.Variant
	}
	return t
}

// CheckLayout returns an error unless dir is missing, empty or an OCI
// image layout, the directories Layout writes to.
func CheckLayout(dir string) error {
	_, err := layoutState(dir)
	return err
}

// layoutAddition is what one write adds to a layout: the blobs of an
// index and of images, and index.json entries, which replace the entries
// of the same tags.
type layoutAddition struct {
	index   v1.ImageIndex
	images  []v1.Image
	entries []v1.Descriptor
}

// writeLayout adds add to the layout dir, creating the layout when dir is
// missing or empty. This is gorootimg's only writer of OCI layouts.
func writeLayout(ctx context.Context, dir string, add layoutAddition) error {
	existing, err := layoutState(dir)
	if err != nil {
		return err
	}
	if existing {
		return addToLayout(ctx, dir, add)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	target, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	defer os.RemoveAll(target) // nothing left to remove after the rename
	if err := os.Chmod(target, 0o755); err != nil {
		return err
	}
	if err := add.write(ctx, target); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(target, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return err
	}
	os.Remove(dir) // an empty directory may be replaced
	if err := os.Rename(target, dir); err != nil {
		// Another writer may have put a layout there first: join it.
		if ok, lerr := layoutState(dir); lerr == nil && ok {
			return addToLayout(ctx, dir, add)
		}
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// addToLayout adds to an existing layout under an exclusive lock on the
// directory, so concurrent writers do not lose each other's tags.
func addToLayout(ctx context.Context, dir string, add layoutAddition) error {
	unlock, err := lockDir(dir)
	if err != nil {
		return fmt.Errorf("locking OCI layout %q: %w", dir, err)
	}
	defer unlock()
	if err := add.write(ctx, dir); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// write puts the blobs in dir, then the new index.json: a reader never
// finds an entry whose blobs are not all there.
func (add layoutAddition) write(ctx context.Context, dir string) error {
	if err := writeIndexBlobs(ctx, dir, add.index); err != nil {
		return err
	}
	for _, img := range add.images {
		if err := writeImageBlobs(ctx, dir, img); err != nil {
			return err
		}
	}
	return writeIndexJSON(dir, add.entries)
}

// layoutState reports whether dir is an existing OCI layout; a missing or
// empty dir is not, and anything else is an error.
func layoutState(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if len(ents) == 0 {
		return false, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	var l struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err != nil || json.Unmarshal(b, &l) != nil || l.Version == "" {
		return false, fmt.Errorf("%s exists and is not an OCI image layout (no valid oci-layout file); refusing to overwrite it: remove it or pick another directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return false, fmt.Errorf("%s has an oci-layout file but no index.json; refusing to overwrite it", dir)
	}
	return true, nil
}

// writeIndexJSON replaces the entries of dir/index.json that carry the
// tags of entries with entries, keeping every other entry, and writes it
// through a temporary file, indented as go-containerregistry's layout
// package writes it.
func writeIndexJSON(dir string, entries []v1.Descriptor) error {
	var top v1.IndexManifest
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &top); err != nil {
			return fmt.Errorf("reading index.json: %w", err)
		}
	case errors.Is(err, fs.ErrNotExist):
		top = v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	default:
		return err
	}
	replaced := map[string]bool{}
	for _, e := range entries {
		replaced[e.Annotations[imageref.AnnotationRefName]] = true
	}
	var keep []v1.Descriptor
	for _, m := range top.Manifests {
		if !replaced[m.Annotations[imageref.AnnotationRefName]] {
			keep = append(keep, m)
		}
	}
	top.Manifests = append(keep, entries...)
	out, err := json.MarshalIndent(top, "", "   ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "index.json"), out, 0o644)
}
