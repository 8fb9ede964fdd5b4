package matrix

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is what Publish did, or with DryRun would do.
type Report struct {
	// Repository is where the images go.
	Repository string `json:"repository"`
	// DryRun is true when nothing was pushed.
	DryRun bool `json:"dryRun"`
	// Images are the matrix's images, in plan order.
	Images []ImageReport `json:"images"`
	// Pushed counts the images staged (or to stage), Moved the tags moved
	// (or to move); a failed image counts in neither.
	Pushed int `json:"pushed"`
	Moved  int `json:"moved"`
	// UpToDate is true when every tag already pointed at its image.
	UpToDate bool `json:"upToDate"`
}

// ImageReport is one image of the plan.
type ImageReport struct {
	// Image names it: "go1.26.1" or "go1.26.1 bookworm".
	Image   string `json:"image"`
	Release string `json:"release"`
	Variant string `json:"variant"`
	// Platforms are "os/arch" in index order.
	Platforms []string `json:"platforms"`
	// Digest is the index digest, computed before any push.
	Digest string `json:"digest"`
	// Push is true when the image is (to be) staged.
	Push bool `json:"push"`
	// Moves are the tags that point elsewhere or nowhere.
	Moves []TagMove `json:"moves"`
	// Unchanged are the tags that already point at Digest.
	Unchanged []string `json:"unchanged"`
	// Cached is true when every layer came from the build cache.
	Cached bool `json:"cached"`
	// Done is true once the image is staged and its tags moved.
	Done bool `json:"done"`
	// Error says why publishing the image failed.
	Error string `json:"error,omitempty"`
}

// TagMove is one tag to point at a new digest.
type TagMove struct {
	Tag string `json:"tag"`
	// From is the digest the tag pointed at; empty for a new tag.
	From string `json:"from,omitempty"`
	To   string `json:"to"`
}

func newReport(f *File, plan *Plan, results []assembled, dryRun bool) *Report {
	rep := &Report{DryRun: dryRun, Images: []ImageReport{}}
	for i := range plan.Steps {
		s := &plan.Steps[i]
		rep.Repository = s.Image.Repository.String()
		ir := ImageReport{
			Image: s.Image.String(), Release: s.Image.Release.Version, Variant: s.Image.Variant.Name,
			Digest: s.Digest.String(), Push: s.Push, Moves: []TagMove{}, Unchanged: s.Unchanged,
			Cached: results[i].res.Reused, Done: s.UpToDate(),
		}
		if ir.Unchanged == nil {
			ir.Unchanged = []string{}
		}
		for _, p := range s.Image.Platforms {
			ir.Platforms = append(ir.Platforms, p.OS+"/"+p.Architecture)
		}
		for _, m := range s.Moves {
			tm := TagMove{Tag: m.Tag, To: m.To.String()}
			if !m.New() {
				tm.From = m.From.String()
			}
			ir.Moves = append(ir.Moves, tm)
		}
		rep.Images = append(rep.Images, ir)
	}
	if rep.Repository == "" {
		rep.Repository = f.Repository
	}
	rep.count()
	return rep
}

// count totals the pushes and moves: planned ones in a dry run, done
// ones otherwise.
func (r *Report) count() {
	r.Pushed, r.Moved = 0, 0
	r.UpToDate = true
	for _, im := range r.Images {
		if im.Push || len(im.Moves) > 0 {
			r.UpToDate = false
		}
		if !r.DryRun && (!im.Done || im.Error != "") {
			continue
		}
		if im.Push {
			r.Pushed++
		}
		r.Moved += len(im.Moves)
	}
}

// WriteText writes the plan as a table, one image a line (release, variant,
// digest, what happens, the tags to move), and a summary line.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RELEASE\tVARIANT\tDIGEST\tACTION\tTAGS\n")
	for _, im := range r.Images {
		var tags []string
		for _, m := range im.Moves {
			tags = append(tags, m.Tag)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", im.Release, orDash(im.Variant), im.Digest, r.action(&im), orDash(strings.Join(tags, " ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

func (r *Report) action(im *ImageReport) string {
	switch {
	case im.Error != "":
		return "failed"
	case !im.Push && len(im.Moves) == 0:
		return "up to date"
	case r.DryRun && im.Push:
		return "would push"
	case r.DryRun:
		return "would tag"
	case im.Push:
		return "pushed"
	}
	return "tagged"
}

// Summary is one line: what was pushed and moved, or that nothing was.
func (r *Report) Summary() string {
	if r.UpToDate {
		return fmt.Sprintf("%s is up to date: %d image(s), no blob pushed, no tag moved", r.Repository, len(r.Images))
	}
	verb := "pushed %d image(s) and moved %d tag(s) of %s"
	if r.DryRun {
		verb = "dry run: would push %d image(s) and move %d tag(s) of %s"
	}
	return fmt.Sprintf(verb, r.Pushed, r.Moved, r.Repository)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
