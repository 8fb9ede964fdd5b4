package imageref

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Kind says which form a reference took.
type Kind string

// The kinds of reference.
const (
	KindRemote  Kind = "image"
	KindOCI     Kind = "oci"
	KindTarball Kind = "tarball"
	KindScratch Kind = "scratch"
)

// AnnotationRefName is the OCI annotation holding a manifest's tag in an
// image layout's index.json.
const AnnotationRefName = "org.opencontainers.image.ref.name"

// Ref is a loaded image reference: one image or an index of images.
type Ref struct {
	// Kind is how the reference was written.
	Kind Kind
	// Name is the reference in canonical form: "image:index.docker.io/library/golang:1.22",
	// "oci:/abs/dir:tag", "tarball:/abs/file.tar" or "scratch".
	Name string
	// Digest is the digest of the manifest or index the reference names.
	// It is the zero Hash for scratch.
	Digest v1.Hash
	// Reference is the registry reference for KindRemote, nil otherwise.
	Reference name.Reference

	index v1.ImageIndex // set when the reference names an index
	image v1.Image      // set when it names a single image
}

// Scratch is the empty image, what Load("scratch") returns.
var Scratch = &Ref{Kind: KindScratch, Name: "scratch"}

// IsScratch reports whether r is the empty image.
func (r *Ref) IsScratch() bool { return r.Kind == KindScratch }

// Index returns the image index the reference names, or nil when it names
// a single image (or scratch).
func (r *Ref) Index() v1.ImageIndex { return r.index }

// String returns r.Name, with the digest when there is one.
func (r *Ref) String() string {
	if r.Digest == (v1.Hash{}) {
		return r.Name
	}
	return r.Name + "@" + r.Digest.String()
}

// Load parses s and opens what it names. Nothing but manifests, indexes
// and configs is read; layers are fetched when used.
func Load(ctx context.Context, s string, opts ...Option) (*Ref, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, errors.New("empty image reference; want REF, image:REF, oci:DIR[:TAG], tarball:FILE or scratch")
	case s == "scratch":
		return Scratch, nil
	case strings.HasPrefix(s, "oci:"):
		return loadOCI(strings.TrimPrefix(s, "oci:"))
	case strings.HasPrefix(s, "tarball:"):
		return loadTarball(strings.TrimPrefix(s, "tarball:"))
	case strings.HasPrefix(s, "image:"):
		return loadRemote(ctx, strings.TrimPrefix(s, "image:"), o)
	default:
		return loadRemote(ctx, s, o)
	}
}

// ParseReference parses a registry reference (with or without "image:")
// honouring WithInsecure.
func ParseReference(s string, opts ...Option) (name.Reference, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.parse(strings.TrimPrefix(s, "image:"))
}

func (o *options) parse(s string) (name.Reference, error) {
	if red, ok := redactUserinfo(s); ok {
		// Never echo the input: it holds a password.
		return nil, fmt.Errorf("parsing image reference %q: a reference cannot hold user:password@; give credentials with docker login (DOCKER_CONFIG)", red)
	}
	var nopts []name.Option
	if o.insecure {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(s, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	return ref, nil
}

func loadRemote(ctx context.Context, s string, o *options) (*Ref, error) {
	ref, err := o.parse(s)
	if err != nil {
		return nil, err
	}
	ropts := append(o.remote(), remote.WithContext(ctx))
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, fmt.Errorf("fetching %q: %w", ref.Name(), err)
	}
	r := &Ref{Kind: KindRemote, Name: "image:" + ref.Name(), Digest: desc.Digest, Reference: ref}
	if desc.MediaType.IsIndex() {
		r.index, err = desc.ImageIndex()
	} else if desc.MediaType.IsImage() {
		r.image, err = desc.Image()
	} else {
		return nil, fmt.Errorf("fetching %q: media type %q is neither an image nor an index", ref.Name(), desc.MediaType)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching %q: %w", ref.Name(), err)
	}
	return r, nil
}

// splitOCI splits "DIR[:TAG]". DIR itself may contain colons: a suffix is
// a tag only if DIR without it is a layout and the suffix has no slash.
func splitOCI(s string) (dir, tag string) {
	if isLayout(s) {
		return s, ""
	}
	if i := strings.LastIndex(s, ":"); i > 0 && !strings.ContainsAny(s[i+1:], `/\`) && !isDrive(s[:i]) {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// isDrive reports whether s is a Windows drive letter alone ("D"), as in
// "D:\layouts\go": the colon is the drive's, not a tag's.
func isDrive(s string) bool {
	return len(s) == 1 && 'a' <= s[0]|0x20 && s[0]|0x20 <= 'z'
}

func isLayout(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "index.json"))
	return err == nil && fi.Mode().IsRegular()
}

func loadOCI(s string) (*Ref, error) {
	if s == "" {
		return nil, errors.New("oci: needs a directory, as in oci:DIR or oci:DIR:TAG")
	}
	dir, tag := splitOCI(s)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening OCI layout %q: %w", dir, err)
	}
	if !isLayout(dir) {
		return nil, fmt.Errorf("opening OCI layout %q: no index.json; is it an OCI image layout directory?", dir)
	}
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("opening OCI layout %q: %w", dir, err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", filepath.Join(dir, "index.json"), err)
	}
	var found []v1.Descriptor
	var tags []string
	for _, d := range im.Manifests {
		t := d.Annotations[AnnotationRefName]
		if t != "" {
			tags = append(tags, t)
		}
		if tag == "" || t == tag || strings.HasSuffix(t, ":"+tag) {
			found = append(found, d)
		}
	}
	sort.Strings(tags)
	name := "oci:" + abs
	if tag != "" {
		name += ":" + tag
	}
	switch {
	case len(found) == 0 && tag != "":
		if len(tags) == 0 {
			return nil, fmt.Errorf("OCI layout %q has no manifest tagged %q (it has no tags at all)", dir, tag)
		}
		return nil, fmt.Errorf("OCI layout %q has no manifest tagged %q; tags: %s", dir, tag, strings.Join(tags, ", "))
	case len(found) == 0:
		return nil, fmt.Errorf("OCI layout %q is empty: index.json lists no manifests", dir)
	case len(found) > 1:
		if len(tags) > 0 {
			return nil, fmt.Errorf("OCI layout %q holds %d manifests; name one as oci:DIR:TAG (tags: %s)", dir, len(found), strings.Join(tags, ", "))
		}
		return nil, fmt.Errorf("OCI layout %q holds %d untagged manifests; gorootimg needs exactly one or a tag", dir, len(found))
	}
	d := found[0]
	r := &Ref{Kind: KindOCI, Name: name, Digest: d.Digest}
	switch {
	case d.MediaType.IsIndex():
		r.index, err = ii.ImageIndex(d.Digest)
	case d.MediaType.IsImage():
		r.image, err = ii.Image(d.Digest)
	default:
		return nil, fmt.Errorf("OCI layout %q: manifest %s has media type %q, neither an image nor an index", dir, d.Digest, d.MediaType)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s in OCI layout %q: %w", d.Digest, dir, err)
	}
	return r, nil
}

func loadTarball(file string) (*Ref, error) {
	if file == "" {
		return nil, errors.New("tarball: needs a file, as in tarball:image.tar")
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("opening tarball %q: %w", file, err)
	}
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("opening tarball %q: %w", file, err)
	}
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		return nil, fmt.Errorf("opening tarball %q: %w", file, err)
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading tarball %q: %w", file, err)
	}
	return &Ref{Kind: KindTarball, Name: "tarball:" + abs, Digest: dg, image: img}, nil
}

// redactUserinfo reports whether s starts with "user:password@" (before
// any slash, as in a URL) and returns s with the password replaced.
func redactUserinfo(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	at := strings.Index(s, "@")
	if at < 0 {
		return "", false
	}
	if slash := strings.Index(s, "/"); slash >= 0 && slash < at {
		return "", false // "host/repo@sha256:..." is a digest, not userinfo
	}
	after := s[at+1:]
	if strings.HasPrefix(after, "sha256:") || strings.HasPrefix(after, "sha512:") {
		return "", false // "golang:1.22@sha256:..." is a tag and a digest
	}
	user, _, hasPass := strings.Cut(s[:at], ":")
	if !hasPass {
		return "", false // no password to hide; name.ParseReference says what is wrong
	}
	return user + ":xxxxx@" + after, true
}
