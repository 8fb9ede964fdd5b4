package matrix

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Built is a planned image with the digest of the index built for it,
// computed before anything is pushed.
type Built struct {
	Image  Image
	Digest v1.Hash
}

// Move points a tag at a new digest.
type Move struct {
	Tag string `json:"tag"`
	// From is where the tag points now; the zero Hash when it is new.
	From v1.Hash `json:"from"`
	To   v1.Hash `json:"to"`
}

// New reports whether the tag does not exist yet.
func (m Move) New() bool { return m.From == (v1.Hash{}) }

// Step is what publishing one image takes: pushing it unless the
// repository has it already, then moving those of its tags that point
// elsewhere. A publisher moves a step's tags only after the image and its
// referrers are all in place, so a fault leaves every tag where it was or
// on a complete image.
type Step struct {
	Image  Image
	Digest v1.Hash
	// Push is true when no tag of the matrix points at Digest now, so the
	// repository may not have the image.
	Push bool
	// Moves are the image's tags that point elsewhere or nowhere, in the
	// image's tag order.
	Moves []Move
	// Unchanged are the image's tags that already point at Digest.
	Unchanged []string
}

// UpToDate reports whether the step has nothing to do.
func (s *Step) UpToDate() bool { return !s.Push && len(s.Moves) == 0 }

// Plan is the steps of publishing a matrix, one per image, in its order.
type Plan struct {
	Steps []Step
}

// Pushes counts the images to push.
func (p *Plan) Pushes() int {
	n := 0
	for i := range p.Steps {
		if p.Steps[i].Push {
			n++
		}
	}
	return n
}

// Moves counts the tags to move.
func (p *Plan) Moves() int {
	n := 0
	for i := range p.Steps {
		n += len(p.Steps[i].Moves)
	}
	return n
}

// UpToDate reports whether the repository already holds the whole matrix.
func (p *Plan) UpToDate() bool { return p.Pushes() == 0 && p.Moves() == 0 }

// Current reads what tag points at in the repository now; ok is false when
// the tag does not exist. It does the only I/O of planning.
type Current func(tag string) (digest v1.Hash, ok bool, err error)

// AllTags lists every tag of the images once, in order, for a caller that
// reads them concurrently before calling NewPlan.
func AllTags(images []Image) []string {
	var out []string
	seen := map[string]bool{}
	for i := range images {
		for _, t := range images[i].Tags {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// NewPlan compares the built images with what their tags point at now
// (current is asked once per tag) and returns the plan: which images to
// push, which tags to move and which are unchanged. An image is pushed
// unless some tag of the matrix already points at its digest.
func NewPlan(built []Built, current Current) (*Plan, error) {
	images := make([]Image, len(built))
	for i, b := range built {
		if b.Digest == (v1.Hash{}) {
			return nil, fmt.Errorf("planning %s: no digest", &built[i].Image)
		}
		images[i] = b.Image
	}
	now := map[string]v1.Hash{}
	present := map[v1.Hash]bool{}
	for _, tag := range AllTags(images) {
		d, ok, err := current(tag)
		if err != nil {
			return nil, fmt.Errorf("reading tag %q: %w", tag, err)
		}
		if ok {
			now[tag] = d
			present[d] = true
		}
	}
	owner := map[string]int{}
	p := &Plan{}
	for i, b := range built {
		if len(b.Image.Tags) == 0 {
			return nil, fmt.Errorf("planning %s: no tag", &built[i].Image)
		}
		s := Step{Image: b.Image, Digest: b.Digest, Push: !present[b.Digest]}
		for _, tag := range b.Image.Tags {
			if j, dup := owner[tag]; dup && j != i {
				return nil, errors.New("planning: tag " + tag + " belongs to both " + built[j].Image.String() + " and " + b.Image.String())
			}
			owner[tag] = i
			if d, ok := now[tag]; ok && d == b.Digest {
				s.Unchanged = append(s.Unchanged, tag)
			} else {
				s.Moves = append(s.Moves, Move{Tag: tag, From: now[tag], To: b.Digest})
			}
		}
		p.Steps = append(p.Steps, s)
	}
	return p, nil
}
