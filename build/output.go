package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/atomicfile"
)

// LayoutOptions configure WriteLayout.
type LayoutOptions struct {
	// PlatformTags also lists each platform's image manifest in index.json,
	// tagged TAG-OS-ARCH (TAG-OS-ARCH-VARIANT), for tools that do not read
	// nested indexes (umoci, oci-image-tool). Such a layout has more than
	// one entry, so readers must then name a tag (oci:DIR:TAG).
	PlatformTags bool
}

// PlatformTag is the tag PlatformTags gives platform p's image under tag.
func PlatformTag(tag string, p v1.Platform) string {
	t := tag + "-" + p.OS + "-" + p.Architecture
	if p.Variant != "" {
		t += "-" + p.Variant
	}
	return t
}

// WriteLayout writes the index to the OCI image layout dir, tagged tag
// (the org.opencontainers.image.ref.name annotation; "latest" when empty).
//
// A new layout is written under a temporary name next to dir and renamed
// into place at the end. An existing layout gets the blobs it lacks (each
// written to a temporary name and renamed) and a new index.json, written
// the same way, in which the entry for tag is replaced; an interrupted
// write leaves the previous layout intact. An existing directory that is
// neither empty nor an OCI layout is refused.
func WriteLayout(ctx context.Context, dir, tag string, idx v1.ImageIndex, lo LayoutOptions) error {
	if tag == "" {
		tag = "latest"
	}
	existing, err := layoutState(dir)
	if err != nil {
		return err
	}
	if existing {
		return addToLayout(ctx, dir, tag, idx, lo)
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
	if err := writeIndexBlobs(ctx, target, idx); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if err := writeIndexJSON(target, tag, idx, lo); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(target, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return err
	}
	os.Remove(dir) // an empty directory may be replaced
	if err := os.Rename(target, dir); err != nil {
		// Another writer may have put a layout there first: join it.
		if ok, lerr := layoutState(dir); lerr == nil && ok {
			return addToLayout(ctx, dir, tag, idx, lo)
		}
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// addToLayout adds the index to an existing layout under an exclusive lock
// on the directory, so concurrent writers do not lose each other's tags.
func addToLayout(ctx context.Context, dir, tag string, idx v1.ImageIndex, lo LayoutOptions) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking OCI layout %q: %w", dir, err)
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
	if err := writeIndexBlobs(ctx, dir, idx); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	if err := writeIndexJSON(dir, tag, idx, lo); err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", dir, err)
	}
	return nil
}

// CheckLayout returns an error unless dir is missing, empty or an OCI
// image layout, the directories WriteLayout writes to.
func CheckLayout(dir string) error {
	_, err := layoutState(dir)
	return err
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

func writeIndexJSON(dir, tag string, idx v1.ImageIndex, lo LayoutOptions) error {
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
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return err
	}
	mt, err := idx.MediaType()
	if err != nil {
		return err
	}
	entries := []v1.Descriptor{{
		MediaType:   mt,
		Digest:      d,
		Size:        int64(len(raw)),
		Annotations: map[string]string{imageref.AnnotationRefName: tag},
	}}
	if lo.PlatformTags {
		im, err := idx.IndexManifest()
		if err != nil {
			return err
		}
		for _, m := range im.Manifests {
			if m.Platform == nil {
				continue
			}
			m.Annotations = map[string]string{imageref.AnnotationRefName: PlatformTag(tag, *m.Platform)}
			entries = append(entries, m)
		}
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
	out, err := json.Marshal(top)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "index.json"), out, 0o644)
}

// writeIndexBlobs writes every blob of idx and its images below dir/blobs.
func writeIndexBlobs(ctx context.Context, dir string, idx v1.ImageIndex) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		if err := writeImageBlobs(ctx, dir, img); err != nil {
			return err
		}
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	return putBlobBytes(dir, d, raw)
}

func writeImageBlobs(ctx context.Context, dir string, img v1.Image) error {
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := putLayer(dir, l); err != nil {
			return err
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	cd, err := img.ConfigName()
	if err != nil {
		return err
	}
	if err := putBlobBytes(dir, cd, cfg); err != nil {
		return err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	return putBlobBytes(dir, d, raw)
}

func blobFile(dir string, d v1.Hash) string { return filepath.Join(dir, "blobs", d.Algorithm, d.Hex) }

func putBlobBytes(dir string, d v1.Hash, b []byte) error {
	p := blobFile(dir, d)
	if fi, err := os.Stat(p); err == nil && fi.Size() == int64(len(b)) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, b, 0o644)
}

// putLayer links a layer's blob from the build cache when it has a file
// there (no copy at all on one file system), and copies it otherwise.
func putLayer(dir string, l v1.Layer) error {
	d, err := l.Digest()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	p := blobFile(dir, d)
	if fi, err := os.Stat(p); err == nil && fi.Size() == size {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if src, ok := localBlob(l); ok {
		tmp := p + ".link-tmp"
		os.Remove(tmp)
		if os.Link(src, tmp) == nil {
			return os.Rename(tmp, p)
		}
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := atomicfile.Create(p, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	n, err := io.Copy(f, rc)
	if err != nil {
		return fmt.Errorf("copying layer %s: %w", d, err)
	}
	if n != size {
		return fmt.Errorf("copying layer %s: got %d bytes, want %d", d, n, size)
	}
	return f.Commit()
}

// WriteTarball writes one image as a "docker load" tarball tagged ref
// ("gorootimg/go:latest" style; a default is used when empty), through a
// temporary file renamed into place at the end.
func WriteTarball(ctx context.Context, file, ref string, img v1.Image) error {
	if ref == "" {
		ref = "gorootimg/go:latest"
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("writing tarball %q: tag %q: %w", file, ref, err)
	}
	f, err := atomicfile.Create(file, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := tarball.Write(tag, img, &ctxWriter{ctx: ctx, w: f}); err != nil {
		return fmt.Errorf("writing tarball %q: %w", file, err)
	}
	return f.Commit()
}

// ctxWriter stops a long write when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// PushOptions configure Push and CheckPush.
type PushOptions struct {
	// Remote are the registry options (credentials, transport, --insecure).
	Remote []imageref.Option
	// Progress, when set, gets the bytes pushed so far and the total.
	Progress func(done, total int64)
	// Jobs is how many blobs are uploaded at once (4 when 0).
	Jobs int
}

// retryCodes are the statuses a push retries with backoff.
var retryCodes = []int{http.StatusRequestTimeout, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

func remoteOptions(ctx context.Context, po PushOptions) ([]remote.Option, error) {
	ro, err := imageref.RemoteOptions(po.Remote...)
	if err != nil {
		return nil, err
	}
	jobs := po.Jobs
	if jobs <= 0 {
		jobs = 4
	}
	return append(ro, remote.WithContext(ctx), remote.WithRetryStatusCodes(retryCodes...), remote.WithJobs(jobs)), nil
}

// CheckPush makes sure the registry of ref answers and accepts our
// credentials, before any work is done.
func CheckPush(ctx context.Context, ref string, po PushOptions) (name.Reference, error) {
	r, err := imageref.ParseReference(ref, po.Remote...)
	if err != nil {
		return nil, err
	}
	ro, err := remoteOptions(ctx, po)
	if err != nil {
		return nil, err
	}
	_, err = remote.Head(r, ro...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		err = nil // a new tag or repository
	}
	if err != nil {
		return nil, pushError(r, err)
	}
	return r, nil
}

// Push uploads the index to ref: blobs first, then the platform manifests
// by digest, and the tag last, so a push that fails leaves the tag where
// it was. Blobs the registry already has are skipped.
func Push(ctx context.Context, ref string, idx v1.ImageIndex, po PushOptions) error {
	r, err := imageref.ParseReference(ref, po.Remote...)
	if err != nil {
		return err
	}
	ro, err := remoteOptions(ctx, po)
	if err != nil {
		return err
	}
	if po.Progress != nil {
		ch := make(chan v1.Update, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for u := range ch {
				if u.Error == nil {
					po.Progress(u.Complete, u.Total)
				}
			}
		}()
		defer func() { <-done }()
		ro = append(ro, remote.WithProgress(ch))
	}
	if err := remote.WriteIndex(r, idx, ro...); err != nil {
		return pushError(r, err)
	}
	return nil
}

// pushError explains a 401 in terms of what the user should do.
func pushError(r name.Reference, err error) error {
	host := r.Context().RegistryStr()
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized || strings.Contains(err.Error(), "UNAUTHORIZED") {
		if a, kerr := authn.DefaultKeychain.Resolve(r.Context()); kerr == nil && a == authn.Anonymous {
			return fmt.Errorf("pushing to %s: no credentials for %s; run docker login or set DOCKER_CONFIG", r, host)
		}
		return fmt.Errorf("pushing to %s: the registry rejected the credentials for %s (401); run docker login again or check DOCKER_CONFIG", r, host)
	}
	return fmt.Errorf("pushing to %s: %w", r, err)
}

// localBlob returns the file holding l's compressed blob, if l says.
func localBlob(l v1.Layer) (string, bool) {
	if f, ok := l.(interface{ BlobPath() string }); ok {
		return f.BlobPath(), true
	}
	return "", false
}
