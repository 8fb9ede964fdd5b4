package recipes

import "errors"

// Recipe is a parsed recipe. (Fields are filled in by the recipe engine.)
type Recipe struct {
	// Required: Name is the recipe's name ("ci") or the file it came from.
	Name string `yaml:"name"`
	// Optional: Description is shown by "gorootimg recipes".
	Description string `yaml:"description"`
}

// Digest returns "sha256:..." over the recipe's canonical form (after
// extends is resolved), for image labels and caches.
func (r *Recipe) Digest() string { return "" }

// Default is the recipe used when none is given.
const Default = "ci"

// Lookup returns a built-in recipe by name, or loads a user recipe file when
// nameOrPath contains a path separator or ends in .yaml/.yml.
func Lookup(nameOrPath string) (*Recipe, error) {
	return nil, errors.New("recipes.Lookup: not implemented yet")
}
