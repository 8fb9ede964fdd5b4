package imagespec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/warmcache"
)

// The defaults of a Spec's fields: what an empty field means, and what the
// CLI flags show as their defaults.
const (
	// DefaultRecipe is the recipe of a Spec without one.
	DefaultRecipe = recipes.Default
	// DefaultBase is the base of a Spec without one: no base image.
	DefaultBase = "scratch"
	// DefaultGOROOTPath is where the SDK goes in the image.
	DefaultGOROOTPath = goroot.DefaultImagePath
	// DefaultCompression is the layer compression.
	DefaultCompression = layers.Gzip
	// DefaultLayers is the layer plan.
	DefaultLayers = layers.DefaultPlan
	// SBOMSPDX is the one SBOM format: SPDX 2.3 JSON.
	SBOMSPDX = "spdx"
)

// Spec is what an image is made of. The zero value is valid: every empty
// field means its default. Keys are kebab-case in YAML and JSON, as the
// images file writes them and as the CLI names its flags.
type Spec struct {
	// Optional: Recipe is a built-in recipe name or a recipe file; the
	// default is DefaultRecipe.
	Recipe string `yaml:"recipe,omitempty" json:"recipe,omitempty"`
	// Optional: Base is the base image: REF, image:REF, oci:DIR[:TAG],
	// tarball:FILE or scratch (DefaultBase).
	Base string `yaml:"base,omitempty" json:"base,omitempty"`
	// Optional: GOROOTPath is where the SDK lives inside the image, a
	// clean absolute path (DefaultGOROOTPath), or for Windows images a
	// path on drive C: (goroot.DefaultWindowsImagePath by default). Each
	// platform takes the path of its kind and its OS's default otherwise
	// (Resolved.GOROOTFor).
	GOROOTPath string `yaml:"goroot-path,omitempty" json:"goroot-path,omitempty"`
	// Optional: Compression is the layer compression, gzip (default) or zstd.
	Compression string `yaml:"compression,omitempty" json:"compression,omitempty"`
	// Optional: CompressionLevel is the compression's level, gzip 1-9 or
	// zstd 1-22 as their command lines name them; 0 keeps the pinned
	// default (see layers.Compression.CheckLevel).
	CompressionLevel int `yaml:"compression-level,omitempty" json:"compression-level,omitempty"`
	// Optional: Layers is the layer plan, the groups the GOROOT is split
	// into, such as "toolchain,std,cmd,tests,rest" (the default).
	Layers string `yaml:"layers,omitempty" json:"layers,omitempty"`
	// Optional: WarmCache lists what is built into the image's build cache
	// as one more layer: std, vet, race, tools. Empty means the recipe's
	// warm-cache (none when the recipe has none).
	WarmCache []string `yaml:"warm-cache,omitempty" json:"warm-cache,omitempty"`
	// Optional: Source is the org.opencontainers.image.source label.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// Optional: SBOM is the format of each platform image's SBOM referrer:
	// "spdx", or empty for none.
	SBOM string `yaml:"sbom,omitempty" json:"sbom,omitempty"`
	// Optional: Provenance gives each platform image an SLSA v1 provenance
	// statement as a referrer.
	Provenance bool `yaml:"provenance,omitempty" json:"provenance,omitempty"`
	// Optional: User is the numeric user the image runs as, UID or
	// UID:GID ("65532:0"), so that a pod with runAsNonRoot and no
	// runAsUser is admitted. Empty keeps the base's user (root on
	// scratch). See docs/kubernetes.md.
	User string `yaml:"user,omitempty" json:"user,omitempty"`
}

// Keys are the YAML keys of a Spec, in field order, read from its struct
// tags: the keys an images file variant takes besides its name.
func Keys() []string {
	t := reflect.TypeFor[Spec]()
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		keys = append(keys, k)
	}
	return keys
}

// KeyError is a problem with one key of a Spec. Front ends name the key
// their own way: the images file as the key, the CLI as its flag.
type KeyError struct {
	// Key is the YAML key ("compression-level").
	Key string
	// Err says what is wrong with the value.
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(key string, err error) error { return &KeyError{Key: key, Err: err} }

// Validate reports the first problem with s. It changes nothing and needs
// no network: whether the recipe file and the base exist is Resolve's
// business.
func (s *Spec) Validate() error {
	if r := s.Recipe; r != "" && !IsRecipePath(r) && !slices.Contains(recipes.Names(), r) {
		return keyErr("recipe", fmt.Errorf("%q: no such built-in recipe (have %s); a file name needs a / or a .yaml suffix", r, strings.Join(recipes.Names(), ", ")))
	}
	if err := validateBase(s.Base); err != nil {
		return keyErr("base", err)
	}
	if p := s.GOROOTPath; p != "" {
		if err := goroot.CheckAnyImagePath(p); err != nil {
			return keyErr("goroot-path", err)
		}
	}
	c, err := s.compression()
	if err != nil {
		return keyErr("compression", err)
	}
	if err := c.CheckLevel(s.CompressionLevel); err != nil {
		return keyErr("compression-level", err)
	}
	if _, err := parseLayerPlan(s.Layers); err != nil {
		return keyErr("layers", err)
	}
	if _, err := s.warmCache(); err != nil {
		return keyErr("warm-cache", err)
	}
	if err := CheckUser(s.User); err != nil {
		return keyErr("user", err)
	}
	if s.SBOM != "" && s.SBOM != SBOMSPDX {
		return keyErr("sbom", fmt.Errorf("%q: the only format is spdx", s.SBOM))
	}
	return nil
}

// compression is s's compression, DefaultCompression when empty.
func (s *Spec) compression() (layers.Compression, error) {
	if s.Compression == "" {
		return DefaultCompression, nil
	}
	return layers.ParseCompression(s.Compression)
}

// warmCache parses WarmCache: nil when empty; an item given twice or
// unknown is an error.
func (s *Spec) warmCache() ([]warmcache.Variant, error) {
	if len(s.WarmCache) == 0 {
		return nil, nil
	}
	names := make([]string, len(warmcache.Variants))
	for i, v := range warmcache.Variants {
		names[i] = string(v)
	}
	for i, w := range s.WarmCache {
		if !slices.Contains(names, w) {
			return nil, fmt.Errorf("warm cache item %q: want one of %s", w, strings.Join(names, ", "))
		}
		if slices.Contains(s.WarmCache[:i], w) {
			return nil, fmt.Errorf("%q is given twice", w)
		}
	}
	return warmcache.ParseList(strings.Join(s.WarmCache, ","))
}

// validateBase checks a base the way Resolve takes it, without opening it.
func validateBase(b string) error {
	switch {
	case b == "" || b == DefaultBase:
		return nil
	case strings.HasPrefix(b, "oci:") || strings.HasPrefix(b, "tarball:"):
		if _, rest, _ := strings.Cut(b, ":"); rest == "" {
			return fmt.Errorf("%q: want oci:DIR[:TAG] or tarball:FILE", b)
		}
		return nil
	}
	if _, err := imageref.ParseReference(strings.TrimPrefix(b, "image:")); err != nil {
		return err
	}
	return nil
}

// IsRecipePath reports whether a recipe value names a file rather than a
// built-in recipe: it holds a path separator or ends in .yaml or .yml.
func IsRecipePath(s string) bool {
	return strings.ContainsAny(s, `/\`) || strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// CheckUser checks an image user: empty, or a numeric UID or UID:GID
// (names need an /etc/passwd entry, and the kubelet admits a runAsNonRoot
// pod without runAsUser only for a numeric non-zero user).
func CheckUser(u string) error {
	if u == "" {
		return nil
	}
	uid, gid, hasGID := strings.Cut(u, ":")
	ids := []string{uid}
	if hasGID {
		ids = append(ids, gid)
	}
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 31); err != nil || strconv.FormatUint(n, 10) != id {
			return fmt.Errorf("%q: want a numeric UID or UID:GID such as 65532:0", u)
		}
	}
	return nil
}
