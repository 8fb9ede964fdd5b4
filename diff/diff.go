package diff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gorootimg/gorootimg/imageref"

	"github.com/gorootimg/gorootimg/goroot"
)

// DefaultFiles is how many files the report lists unless told otherwise.
const DefaultFiles = 20

// Option configures Compare.
type Option func(*options) error

type options struct {
	goroot   string
	files    int
	progress io.Writer
}

// WithGOROOT sets the absolute path of GOROOT inside the images (default
// /usr/local/go; a Windows image's is a C:\ path, below Files/ in its
// layers). Files below it are put in GOROOT categories; file trees
// are placed there.
func WithGOROOT(p string) Option {
	return func(o *options) error {
		if err := goroot.CheckAnyImagePath(p); err != nil {
			return fmt.Errorf("GOROOT path %w", err)
		}
		o.goroot = p
		return nil
	}
}

// WithFiles sets how many added, removed or changed files the report
// lists, largest first (default 20; 0 lists none).
func WithFiles(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("file count %d: want 0 or more", n)
		}
		o.files = n
		return nil
	}
}

// WithProgress writes one line per layer read to w (stderr in the CLI).
func WithProgress(w io.Writer) Option {
	return func(o *options) error {
		o.progress = w
		return nil
	}
}

// Report is the result of Compare.
type Report struct {
	A      string `json:"a"`
	B      string `json:"b"`
	GOROOT string `json:"goroot"`
	// Platforms holds one comparison per platform present on both sides.
	Platforms []*PlatformReport `json:"platforms"`
	// OnlyA and OnlyB list the platforms present on one side only.
	OnlyA []string `json:"only_a,omitempty"`
	OnlyB []string `json:"only_b,omitempty"`
}

// PlatformReport compares the two sides for one platform.
type PlatformReport struct {
	Platform   string       `json:"platform"`
	A          Totals       `json:"a"`
	B          Totals       `json:"b"`
	Layers     []Layer      `json:"layers"`
	Categories []Category   `json:"categories"`
	Added      Count        `json:"added"`
	Removed    Count        `json:"removed"`
	Changed    Count        `json:"changed"`
	Files      []FileChange `json:"files"`
}

// Totals sums one side of a platform. Sizes that cannot be known (the
// compressed size of a file tree, which is not an image) are -1.
type Totals struct {
	Compressed   int64 `json:"compressed"`
	Uncompressed int64 `json:"uncompressed"`
	Layers       int   `json:"layers"`
	// Files and FileBytes count the regular files, symlinks and hard links
	// of the final file system (whiteouts applied) and their content bytes.
	// FileBytes is the sum of the categories' bytes.
	Files     int   `json:"files"`
	FileBytes int64 `json:"file_bytes"`
	// LayerFileBytes is the content bytes stored in all layers; ShadowedBytes
	// the part of it hidden by a later layer or a whiteout. Always
	// LayerFileBytes == FileBytes + ShadowedBytes.
	LayerFileBytes int64 `json:"layer_file_bytes"`
	ShadowedBytes  int64 `json:"shadowed_bytes"`
}

// Layer is one layer of either side.
type Layer struct {
	// Side is "A", "B" or "both" (the same layer, by digest, on both sides).
	Side string `json:"side"`
	// IndexA and IndexB are the layer's position on each side (-1 if absent).
	IndexA int `json:"index_a"`
	IndexB int `json:"index_b"`
	// Digest is the compressed digest ("" for a file tree, which has only DiffID).
	Digest       string `json:"digest,omitempty"`
	DiffID       string `json:"diff_id"`
	Compressed   int64  `json:"compressed"`
	Uncompressed int64  `json:"uncompressed"`
	FileBytes    int64  `json:"file_bytes"`
	Shared       bool   `json:"shared"`
}

// Category sums the final files of one GOROOT category on each side.
type Category struct {
	Name   string `json:"name"`
	AFiles int    `json:"a_files"`
	ABytes int64  `json:"a_bytes"`
	BFiles int    `json:"b_files"`
	BBytes int64  `json:"b_bytes"`
}

// Count is a number of files and their bytes (for changed files, the
// absolute sum of the size changes).
type Count struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// FileChange is a file added, removed or changed from A to B.
type FileChange struct {
	Path     string `json:"path"`
	Change   string `json:"change"` // "added", "removed" or "changed"
	Category string `json:"category"`
	ASize    int64  `json:"a_size"`
	BSize    int64  `json:"b_size"`
}

// Delta returns BSize - ASize.
func (f FileChange) Delta() int64 { return f.BSize - f.ASize }

// Growth returns the change from A to B in percent of A, on compressed
// size when both sides know it and on uncompressed size otherwise.
func (p *PlatformReport) Growth() (percent float64, basis string) {
	a, b, basis := p.A.Compressed, p.B.Compressed, "compressed"
	if a < 0 || b < 0 {
		a, b, basis = p.A.Uncompressed, p.B.Uncompressed, "uncompressed"
	}
	if a == 0 {
		if b == 0 {
			return 0, basis
		}
		return 100, basis
	}
	return float64(b-a) * 100 / float64(a), basis
}

// Compare compares a and b, platform by platform. Each layer is read once,
// as a stream; a layer present on both sides (or on several platforms) is
// read once in all.
func Compare(ctx context.Context, a, b *Side, opts ...Option) (*Report, error) {
	o := &options{goroot: goroot.DefaultImagePath, files: DefaultFiles}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if a == nil || b == nil {
		return nil, errors.New("comparing: need two sides")
	}
	r := &Report{A: a.Name, B: b.Name, GOROOT: o.goroot}
	c := &comparer{o: o, scans: map[string]*layerScan{}}
	for _, ta := range a.targets {
		key := imageref.FormatPlatform(ta.platform)
		tb, ok := b.target(key)
		if !ok {
			r.OnlyA = append(r.OnlyA, key)
			continue
		}
		pr, err := c.platform(ctx, key, a.Name, ta, b.Name, tb)
		if err != nil {
			return nil, err
		}
		r.Platforms = append(r.Platforms, pr)
	}
	for _, tb := range b.targets {
		key := imageref.FormatPlatform(tb.platform)
		if _, ok := a.target(key); !ok {
			r.OnlyB = append(r.OnlyB, key)
		}
	}
	if len(r.Platforms) == 0 {
		return nil, fmt.Errorf("comparing %q and %q: no platform in common (%s has %s; %s has %s)",
			a.Name, b.Name, a.Name, strings.Join(keys(a), ", "), b.Name, strings.Join(keys(b), ", "))
	}
	return r, nil
}

func keys(s *Side) []string {
	var out []string
	for _, t := range s.targets {
		out = append(out, imageref.FormatPlatform(t.platform))
	}
	if len(out) == 0 {
		out = []string{"no platforms"}
	}
	return out
}

type comparer struct {
	o     *options
	scans map[string]*layerScan // by compressed digest
}

// layers scans the layers of one target (each distinct layer once).
func (c *comparer) layers(ctx context.Context, side string, t target) ([]*layerScan, error) {
	if t.image == nil {
		if c.o.progress != nil {
			fmt.Fprintf(c.o.progress, "reading %s (%s): %d files\n", side, imageref.FormatPlatform(t.platform), len(t.tree))
		}
		ls, err := scanTree(ctx, t.tree, "/"+goroot.LayerDir(c.o.goroot))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", side, err)
		}
		return []*layerScan{ls}, nil
	}
	ls, err := t.image.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading layers of %s: %w", side, err)
	}
	out := make([]*layerScan, len(ls))
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return nil, fmt.Errorf("reading layers of %s: %w", side, err)
		}
		if s, ok := c.scans[d.String()]; ok {
			out[i] = s
			continue
		}
		if c.o.progress != nil {
			sz, _ := l.Size()
			fmt.Fprintf(c.o.progress, "reading %s (%s) layer %d/%d %s (%d bytes)\n", side, imageref.FormatPlatform(t.platform), i+1, len(ls), d, sz)
		}
		s, err := scanLayer(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", side, err)
		}
		c.scans[d.String()] = s
		out[i] = s
	}
	return out, nil
}

func (c *comparer) platform(ctx context.Context, key, aName string, ta target, bName string, tb target) (*PlatformReport, error) {
	la, err := c.layers(ctx, aName, ta)
	if err != nil {
		return nil, err
	}
	lb, err := c.layers(ctx, bName, tb)
	if err != nil {
		return nil, err
	}
	va, vb := stack(la), stack(lb)
	pr := &PlatformReport{Platform: key, A: totals(la, va), B: totals(lb, vb)}
	pr.Layers = layerRows(la, lb)

	pr.Categories = c.categories(va, vb)
	pr.Files = c.changes(pr, va, vb)
	return pr, nil
}

// categories sums the final files of each side by category, in report
// order.
func (c *comparer) categories(va, vb *view) []Category {
	cats := map[string]*Category{}
	cat := func(name string) *Category {
		if cats[name] == nil {
			cats[name] = &Category{Name: name}
		}
		return cats[name]
	}
	for _, e := range va.files {
		if e.kind != kindDir {
			k := cat(c.category(e.path))
			k.AFiles++
			k.ABytes += e.size
		}
	}
	for _, e := range vb.files {
		if e.kind != kindDir {
			k := cat(c.category(e.path))
			k.BFiles++
			k.BBytes += e.size
		}
	}
	var out []Category
	for _, name := range categoryOrder() {
		if k := cats[name]; k != nil {
			out = append(out, *k)
		}
	}
	return out
}

// changes counts the files added, removed and changed from A to B into
// pr and returns the largest of them, at most the option's file count.
func (c *comparer) changes(pr *PlatformReport, va, vb *view) []FileChange {
	var changes []FileChange
	for p, ea := range va.files {
		if ea.kind == kindDir {
			continue
		}
		eb, ok := vb.files[p]
		switch {
		case !ok || eb.kind == kindDir:
			changes = append(changes, FileChange{Path: "/" + p, Change: "removed", Category: c.category(p), ASize: ea.size})
			pr.Removed.Files++
			pr.Removed.Bytes += ea.size
		case ea.kind != eb.kind || ea.hash != eb.hash || ea.link != eb.link:
			changes = append(changes, FileChange{Path: "/" + p, Change: "changed", Category: c.category(p), ASize: ea.size, BSize: eb.size})
			pr.Changed.Files++
			pr.Changed.Bytes += abs(eb.size - ea.size)
		}
	}
	for p, eb := range vb.files {
		if eb.kind == kindDir {
			continue
		}
		if ea, ok := va.files[p]; !ok || ea.kind == kindDir {
			changes = append(changes, FileChange{Path: "/" + p, Change: "added", Category: c.category(p), BSize: eb.size})
			pr.Added.Files++
			pr.Added.Bytes += eb.size
		}
	}
	slices.SortFunc(changes, func(x, y FileChange) int {
		if d := cmp.Compare(abs(y.Delta()), abs(x.Delta())); d != 0 {
			return d
		}
		if d := cmp.Compare(max(y.ASize, y.BSize), max(x.ASize, x.BSize)); d != 0 {
			return d
		}
		return strings.Compare(x.Path, y.Path)
	})
	files := changes[:min(len(changes), c.o.files)]
	if files == nil {
		files = []FileChange{}
	}
	return files
}

// category names the category of an image path (without leading slash).
func (c *comparer) category(p string) string {
	root := goroot.LayerDir(c.o.goroot)
	rel, ok := strings.CutPrefix(p, root+"/")
	if !ok || root == "" {
		if root == "" {
			return string(goroot.CategoryOf(p))
		}
		return string(goroot.CatOutside)
	}
	return string(goroot.CategoryOf(rel))
}

func categoryOrder() []string {
	var out []string
	for _, c := range goroot.Categories {
		out = append(out, string(c))
	}
	return append(out, string(goroot.CatOutside))
}

func stack(ls []*layerScan) *view {
	v := newView()
	for _, l := range ls {
		v.apply(l)
	}
	return v
}

func totals(ls []*layerScan, v *view) Totals {
	t := Totals{Layers: len(ls), ShadowedBytes: v.shadowed}
	for _, l := range ls {
		if l.compressed < 0 || t.Compressed < 0 {
			t.Compressed = -1
		} else {
			t.Compressed += l.compressed
		}
		t.Uncompressed += l.uncompressed
		t.LayerFileBytes += l.fileBytes
	}
	for _, e := range v.files {
		if e.kind != kindDir {
			t.Files++
			t.FileBytes += e.size
		}
	}
	return t
}

// layerRows lists A's layers then B's, a layer present on both sides
// (same compressed digest) once, marked shared.
func layerRows(la, lb []*layerScan) []Layer {
	inB := map[string]int{}
	for i, l := range lb {
		if l.digest != "" {
			if _, ok := inB[l.digest]; !ok {
				inB[l.digest] = i
			}
		}
	}
	row := func(l *layerScan) Layer {
		return Layer{Digest: l.digest, DiffID: l.diffID, Compressed: l.compressed, Uncompressed: l.uncompressed, FileBytes: l.fileBytes, IndexA: -1, IndexB: -1}
	}
	var rows []Layer
	shared := map[string]bool{}
	for i, l := range la {
		r := row(l)
		r.Side, r.IndexA = "A", i
		if j, ok := inB[l.digest]; ok && l.digest != "" {
			r.Side, r.IndexB, r.Shared = "both", j, true
			shared[l.digest] = true
		}
		rows = append(rows, r)
	}
	for i, l := range lb {
		if l.digest != "" && shared[l.digest] {
			continue
		}
		r := row(l)
		r.Side, r.IndexB = "B", i
		rows = append(rows, r)
	}
	return rows
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
