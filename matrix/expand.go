package matrix

import (
	"fmt"
	"go/version"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/sdk"
)

// Image is one planned image: a release in one variant, for every platform
// of the file, and the tags it gets.
type Image struct {
	// Repository is where the image goes.
	Repository name.Repository
	// Release is the Go release, with the platforms the proxy serves it for.
	Release sdk.Release
	// Platforms are the file's platforms, in its order.
	Platforms []v1.Platform
	// Variant is the file's variant with its defaults filled in: Recipe
	// (a recipe file's path made relative to the working directory), Base,
	// Compression and GOROOTPath are never empty.
	Variant Variant
	// Tags are the tags the image gets, in template order; never empty.
	Tags []string
}

// String names the image in messages and plans: "go1.26.11" or
// "go1.26.11 bookworm".
func (im *Image) String() string {
	if im.Variant.Name == "" {
		return im.Release.Version
	}
	return im.Release.Version + " " + im.Variant.Name
}

// Ref returns tag in the image's repository.
func (im *Image) Ref(tag string) name.Tag { return im.Repository.Tag(tag) }

// Expand turns the file into the list of images to build, given the
// releases the module proxy serves (newest first, as sdk.ListReleases
// returns them). Images are ordered by release, newest first, then by
// variant in file order. Everything that can be wrong with the matrix is
// reported here, before any work: an unknown release, a platform the proxy
// does not serve for a release, a tag template that renders an invalid tag
// or the same tag for images of two variants, an image left with no tag.
func (f *File) Expand(rels []sdk.Release) ([]Image, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	images, err := f.expand(rels)
	if err != nil && f.Name != "" {
		return nil, fmt.Errorf("images file %s: %w", f.Name, err)
	}
	return images, err
}

func (f *File) expand(rels []sdk.Release) ([]Image, error) {
	repo, _ := f.repository() // Validate checked them all
	ps := f.allPlatforms()
	chosen, err := f.releases(rels, ps)
	if err != nil {
		return nil, err
	}
	var images []Image
	for _, r := range chosen {
		for _, v := range f.Variants {
			v = f.withDefaults(v)
			ps, _ := f.platformsOf(&v)
			if slices.Contains(v.WarmCache, "tools") && version.Compare(r.Version, "go1.25") < 0 {
				return nil, fmt.Errorf("%s: warm-cache tools needs Go 1.25 or later, and go selects %s", &v, r.Version)
			}
			images = append(images, Image{Repository: repo, Release: r, Platforms: ps, Variant: v})
		}
	}
	if err := assignTags(f.templates(), images); err != nil {
		return nil, err
	}
	return images, nil
}

// releases resolves the selectors, without duplicates, newest first.
func (f *File) releases(rels []sdk.Release, ps []v1.Platform) ([]sdk.Release, error) {
	var out []sdk.Release
	for _, s := range f.Go {
		var got []sdk.Release
		if s == Supported {
			sup, err := sdk.SupportedReleases(rels, ps)
			if err != nil {
				return nil, fmt.Errorf("go: supported: %w", err)
			}
			got = sup
		} else {
			r, err := sdk.ChooseRelease(rels, string(s), ps)
			if err != nil {
				return nil, fmt.Errorf("go: %w", err)
			}
			got = []sdk.Release{r}
		}
		for _, r := range got {
			if !slices.ContainsFunc(out, func(q sdk.Release) bool { return q.Version == r.Version }) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b sdk.Release) int { return version.Compare(b.Version, a.Version) })
	return out, nil
}

func (f *File) withDefaults(v Variant) Variant {
	v.WarmCache = slices.Clone(v.WarmCache)
	if v.Recipe == "" {
		v.Recipe = imagespec.DefaultRecipe
	} else if imagespec.IsRecipePath(v.Recipe) && !filepath.IsAbs(v.Recipe) && f.Dir != "" {
		v.Recipe = filepath.Join(f.Dir, v.Recipe)
	}
	if v.Base == "" {
		v.Base = imagespec.DefaultBase
	}
	if v.Compression == "" {
		v.Compression = string(imagespec.DefaultCompression)
	}
	if v.GOROOTPath == "" {
		v.GOROOTPath = imagespec.DefaultGOROOTPath
	}
	return v
}

func (f *File) templates() []TagTemplate {
	if f.Tags == nil {
		return DefaultTags
	}
	return f.Tags
}

// rendered is one tag an image's template gave.
type rendered struct {
	tag      string
	template TagTemplate
}

// assignTags renders every template for every image and gives each tag
// to one image: among images of one variant the newest release wins (a
// final release before a release candidate); images of two variants
// rendering the same tag are an error.
func assignTags(templates []TagTemplate, images []Image) error {
	renders := make([][]rendered, len(images))
	owner := map[string]int{}
	for i := range images {
		im := &images[i]
		d := newTagData(im.Release.Version, im.Variant.Name)
		for _, t := range templates {
			tag, err := t.Render(d)
			if err != nil {
				return err
			}
			if tag == "" {
				continue
			}
			if err := checkTag(im.Repository, tag); err != nil {
				return fmt.Errorf("tags: %q renders %q for %s: %w", string(t), tag, im, err)
			}
			if !im.Release.Final() && !strings.Contains(tag, d.Version) {
				continue // a release candidate gets only tags naming it
			}
			renders[i] = append(renders[i], rendered{tag, t})
			j, ok := owner[tag]
			switch {
			case !ok:
				owner[tag] = i
			case j == i:
			case images[j].Variant.Name != im.Variant.Name:
				return fmt.Errorf("tags: %q renders %q for both %s and %s; give each variant its own tags (with {{.Suffix}} or {{.Variant}})", string(t), tag, &images[j], im)
			case newer(&im.Release, &images[j].Release):
				owner[tag] = i
			}
		}
	}
	for i := range images {
		im := &images[i]
		im.Tags = nil
		for _, r := range renders[i] {
			if owner[r.tag] == i && !slices.Contains(im.Tags, r.tag) {
				im.Tags = append(im.Tags, r.tag)
			}
		}
		if len(im.Tags) == 0 {
			return fmt.Errorf("tags: %s gets no tag: every tag its templates render goes to a newer release; add a template that names the full version, such as {{.Version}}{{.Suffix}}", im)
		}
	}
	return nil
}

// checkTag reports whether tag is a valid tag of repo.
func checkTag(repo name.Repository, tag string) error {
	if strings.HasPrefix(tag, ".") || strings.HasPrefix(tag, "-") {
		return fmt.Errorf("not a valid tag: a tag cannot begin with %q", tag[:1])
	}
	if _, err := name.NewTag(repo.String()+":"+tag, name.StrictValidation); err != nil {
		return fmt.Errorf("not a valid tag (letters, digits, _, . and -, at most 128): %w", err)
	}
	return nil
}

// newer reports whether a should own a floating tag rather than b.
func newer(a, b *sdk.Release) bool {
	if a.Final() != b.Final() {
		return a.Final()
	}
	return version.Compare(a.Version, b.Version) > 0
}

// allPlatforms is every platform of the file's variants, the file's
// first: what a selected release must be served for.
func (f *File) allPlatforms() []v1.Platform {
	var out []v1.Platform
	add := func(ps []v1.Platform) {
		for _, p := range ps {
			if !slices.ContainsFunc(out, func(q v1.Platform) bool { return q.Equals(p) }) {
				out = append(out, p)
			}
		}
	}
	uses := false
	for i := range f.Variants {
		uses = uses || f.Variants[i].Platforms == nil
	}
	if ps, err := f.platforms(); err == nil && uses {
		add(ps)
	}
	for i := range f.Variants {
		if ps, err := f.platformsOf(&f.Variants[i]); err == nil {
			add(ps)
		}
	}
	return out
}
