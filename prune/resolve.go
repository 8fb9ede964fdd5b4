package prune

import (
	"context"
	"errors"

	"github.com/gorootimg/gorootimg/recipes"
)

// Target is the SDK a recipe is resolved against.
type Target struct {
	GOROOT       string // the SDK tree on disk
	Version      string // "go1.22.12"
	GOOS, GOARCH string
}

// Plan is a recipe resolved against a target: which files stay and why.
type Plan struct {
	Target Target
	Recipe *recipes.Recipe
	// All is the complete scan of the SDK; Kept and Dropped partition it
	// (directories included in Kept only where they hold kept files).
	All, Kept, Dropped FileSet
	why                map[string]string
}

// Why names the rule that kept or dropped name.
func (p *Plan) Why(name string) string { return p.why[name] }

// Resolve computes the plan of recipe r for target t. It changes nothing on disk.
func Resolve(ctx context.Context, t Target, r *recipes.Recipe) (*Plan, error) {
	return nil, errors.New("prune.Resolve: not implemented yet")
}

// Apply turns a plan into the files to lay into an image: Kept, with any
// transformed content (stripped binaries) written below workDir and Src
// pointing at it. The SDK tree itself is never modified.
func Apply(ctx context.Context, p *Plan, workDir string) (FileSet, error) {
	return nil, errors.New("prune.Apply: not implemented yet")
}
