package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.yaml.in/yaml/v3"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/sdk"
)

// Supported is the release selector for the final releases of the two
// newest minor lines the module proxy serves.
const Supported Selector = "supported"

// File is a parsed images file: which images one repository holds.
type File struct {
	// Name is the file the images came from, for messages.
	Name string `yaml:"-"`
	// Dir is the directory recipe paths are relative to.
	Dir string `yaml:"-"`

	// Required: Repository is where every image goes, such as
	// "ghcr.io/org/go-build" (no tag, no digest).
	Repository string `yaml:"repository"`
	// Required: Go selects the releases: "supported", a line ("1.26", its
	// newest release served for every platform) or a release ("1.25.3").
	Go []Selector `yaml:"go"`
	// Required: Platforms is what every image is built for, as os/arch
	// ("linux/amd64", "linux/arm/v7").
	Platforms []string `yaml:"platforms"`
	// Required: Variants are the flavours of each release; each gets its
	// own tags.
	Variants []Variant `yaml:"variants"`
	// Optional: Tags are the tag templates (text/template over TagData).
	// The default, DefaultTags, is the official images' scheme.
	Tags []TagTemplate `yaml:"tags"`
}

// Selector names Go releases: Supported, a line or a release.
type Selector string

// Validate reports whether s can name a release. It needs no network.
func (s Selector) Validate() error {
	if s == Supported || sdk.IsReleaseSpec(string(s)) {
		return nil
	}
	return fmt.Errorf("go: %q: want supported, a line such as 1.26 or a release such as 1.25.3", string(s))
}

// Variant is one flavour of the images: a tag suffix and the spec of what
// its images are made of, the same imagespec.Spec that the flags of
// gorootimg build bind to.
type Variant struct {
	// Optional: Name is the tag suffix ("bookworm" gives 1.26.11-bookworm);
	// "" (the default) adds none. Names are unique within a file.
	Name string `yaml:"name"`
	// Optional: Platforms are the variant's own platforms instead of the
	// file's: a Windows variant, one per ltsc base, is [windows/amd64]
	// ("nanoserver-ltsc2022" gives 1.26.11-nanoserver-ltsc2022).
	Platforms []string `yaml:"platforms,omitempty"`
	// Spec is the variant's image, its keys inline beside name. Recipe
	// files are relative to the images file. Unlike build's flags, a
	// variant written in YAML attaches an SBOM and provenance unless it
	// says sbom: "" or provenance: false (see DefaultSpec).
	imagespec.Spec `yaml:",inline"`

	// Line is where the variant was written, 0 when not from YAML.
	Line int `yaml:"-"`
}

// DefaultSpec is the spec a variant written in YAML starts from: publish
// attaches each platform image's SBOM and provenance by default.
var DefaultSpec = imagespec.Spec{SBOM: imagespec.SBOMSPDX, Provenance: true}

var fileKeys = []string{"repository", "go", "platforms", "variants", "tags"}

// variantKeys are name and the spec's keys, read from its struct tags.
var variantKeys = append([]string{"name", "platforms"}, imagespec.Keys()...)

// VariantKeys are the keys a variant takes: name and imagespec.Keys.
func VariantKeys() []string { return slices.Clone(variantKeys) }

// UnmarshalYAML decodes a variant strictly: unknown keys are errors with
// their line, and the variant remembers its own line.
func (v *Variant) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a variant is a mapping such as {name: bookworm, recipe: ci}", n.Line)
	}
	if err := checkKeys(n, variantKeys, "variant key"); err != nil {
		return err
	}
	type plain Variant
	p := plain{Spec: DefaultSpec}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*v = Variant(p)
	v.Line = n.Line
	return nil
}

func checkKeys(n *yaml.Node, allowed []string, what string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			return fmt.Errorf("line %d: unknown %s %q (want one of %s)", k.Line, what, k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// String names the variant in messages: `variant "bookworm" (line 7)`.
func (v *Variant) String() string {
	s := fmt.Sprintf("variant %q", v.Name)
	if v.Line > 0 {
		s += fmt.Sprintf(" (line %d)", v.Line)
	}
	return s
}

// Load reads, parses and validates an images file.
func Load(file string) (*File, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading images file: %w", err)
	}
	f, err := Parse(file, data)
	if err != nil {
		return nil, err
	}
	f.Dir = filepath.Dir(file)
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Parse decodes one images file strictly, without validating it. name is
// used in messages.
func Parse(name string, data []byte) (*File, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("parsing images file %s: empty file", name)
		}
		return nil, fmt.Errorf("parsing images file %s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing images file %s: more than one YAML document", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parsing images file %s: line %d: want a mapping with repository, go, platforms and variants", name, root.Line)
	}
	if err := checkKeys(root, fileKeys, "key"); err != nil {
		return nil, fmt.Errorf("parsing images file %s: %w", name, err)
	}
	var f File
	if err := root.Decode(&f); err != nil {
		return nil, fmt.Errorf("parsing images file %s: %w", name, err)
	}
	f.Name = name
	return &f, nil
}

// Validate reports the first problem with the file. It changes nothing and
// needs no network: what depends on the releases the proxy serves is
// checked by Expand.
func (f *File) Validate() error {
	if err := f.validate(); err != nil {
		if f.Name != "" {
			return fmt.Errorf("images file %s: %w", f.Name, err)
		}
		return err
	}
	return nil
}

func (f *File) validate() error {
	if _, err := f.repository(); err != nil {
		return err
	}
	if len(f.Go) == 0 {
		return errors.New("go: no release selected; want a list such as [supported] or [\"1.26\", \"1.25.3\"]")
	}
	for _, s := range f.Go {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	if _, err := f.platforms(); err != nil {
		return err
	}
	if len(f.Variants) == 0 {
		return errors.New(`variants: none; want at least one, such as [{name: "", recipe: ci}]`)
	}
	seen := map[string]bool{}
	for i := range f.Variants {
		v := &f.Variants[i]
		if seen[v.Name] {
			return fmt.Errorf("%s: the name is given twice; each variant needs its own tag suffix", v)
		}
		seen[v.Name] = true
		if err := v.Validate(); err != nil {
			return fmt.Errorf("%s: %w", v, err)
		}
		if _, err := f.platformsOf(v); err != nil {
			return fmt.Errorf("%s: %w", v, err)
		}
	}
	for _, t := range f.Tags {
		if err := t.Validate(); err != nil {
			return err
		}
	}
	if f.Tags != nil && len(f.Tags) == 0 {
		return errors.New("tags: an empty list gives the images no tag; leave tags out for the default scheme")
	}
	return nil
}

// repository parses Repository without ever echoing credentials.
func (f *File) repository() (name.Repository, error) {
	if f.Repository == "" {
		return name.Repository{}, errors.New("repository: missing; want a repository such as ghcr.io/org/go-build")
	}
	if strings.Contains(f.Repository, "@") {
		return name.Repository{}, errors.New("repository: holds an @ (credentials or a digest); want a repository such as ghcr.io/org/go-build, with credentials from docker login")
	}
	r, err := name.NewRepository(f.Repository)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %q: want a repository such as ghcr.io/org/go-build, without a tag: %w", f.Repository, err)
	}
	return r, nil
}

// platforms parses Platforms.
func (f *File) platforms() ([]v1.Platform, error) {
	if len(f.Platforms) == 0 {
		return nil, errors.New("platforms: none; want a list such as [linux/amd64, linux/arm64]")
	}
	return parsePlatforms(f.Platforms)
}

// platformsOf is v's platforms: its own, else the file's.
func (f *File) platformsOf(v *Variant) ([]v1.Platform, error) {
	if v.Platforms != nil {
		return parsePlatforms(v.Platforms)
	}
	return f.platforms()
}

// parsePlatforms parses a platforms list.
func parsePlatforms(list []string) ([]v1.Platform, error) {
	if len(list) == 0 {
		return nil, errors.New("platforms: an empty list; leave it out for the file's platforms")
	}
	var out []v1.Platform
	for _, s := range list {
		parts := strings.Split(s, "/")
		if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return nil, fmt.Errorf("platforms: %q: want os/arch or os/arch/variant, such as linux/amd64", s)
		}
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return nil, fmt.Errorf("platforms: %q: %w", s, err)
		}
		if slices.ContainsFunc(out, func(q v1.Platform) bool { return q.Equals(*p) }) {
			return nil, fmt.Errorf("platforms: %q is given twice", s)
		}
		out = append(out, *p)
	}
	return out, nil
}

// Validate reports the first problem with the variant: its name, then its
// spec (imagespec.Spec.Validate). It changes nothing and needs no network.
func (v *Variant) Validate() error {
	if v.Name != "" {
		if strings.HasPrefix(v.Name, "-") || strings.HasPrefix(v.Name, ".") {
			return fmt.Errorf("name %q: want a tag suffix such as bookworm, without a leading - or .", v.Name)
		}
		if _, err := name.NewTag("example.com/x:" + v.Name); err != nil {
			return fmt.Errorf("name %q: want a tag suffix such as bookworm (letters, digits, _, . and -)", v.Name)
		}
	}
	return v.Spec.Validate()
}
