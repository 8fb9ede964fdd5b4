package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gorootimg/gorootimg/internal/humanize"
)

// WriteJSON writes the report as indented JSON (sizes in bytes; -1 for
// unknown).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as aligned text tables.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s\nB: %s\nGOROOT: %s\n", r.A, r.B, r.GOROOT)
	for _, p := range r.Platforms {
		fmt.Fprintf(&b, "\n== %s ==\n\n", p.Platform)
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\tA\tB\tchange\t\n")
		sizeRow(tw, "compressed", p.A.Compressed, p.B.Compressed)
		sizeRow(tw, "uncompressed", p.A.Uncompressed, p.B.Uncompressed)
		fmt.Fprintf(tw, "layers\t%d\t%d\t%+d\t\n", p.A.Layers, p.B.Layers, p.B.Layers-p.A.Layers)
		fmt.Fprintf(tw, "files\t%d\t%d\t%+d\t\n", p.A.Files, p.B.Files, p.B.Files-p.A.Files)
		sizeRow(tw, "file bytes", p.A.FileBytes, p.B.FileBytes)
		sizeRow(tw, "shadowed bytes", p.A.ShadowedBytes, p.B.ShadowedBytes)
		tw.Flush()

		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "LAYER\tSIDE\tDIGEST\tCOMPRESSED\tUNCOMPRESSED\tFILE BYTES\tSHARED\n")
		for _, l := range p.Layers {
			d := l.Digest
			if d == "" {
				d = "diffid:" + l.DiffID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", layerIndex(l), l.Side, short(d), human(l.Compressed), human(l.Uncompressed), human(l.FileBytes), yesNo(l.Shared))
		}
		tw.Flush()

		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "CATEGORY\tA FILES\tA BYTES\tB FILES\tB BYTES\tCHANGE\t\n")
		for _, c := range p.Categories {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t\n", c.Name, c.AFiles, human(c.ABytes), c.BFiles, human(c.BBytes), change(c.ABytes, c.BBytes))
		}
		tw.Flush()

		fmt.Fprintf(&b, "\nadded %d files (%s), removed %d files (%s), changed %d files (%s size change)\n",
			p.Added.Files, human(p.Added.Bytes), p.Removed.Files, human(p.Removed.Bytes), p.Changed.Files, human(p.Changed.Bytes))
		if len(p.Files) > 0 {
			b.WriteString("\n")
			tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "CHANGE\tA SIZE\tB SIZE\tDELTA\tCATEGORY\tPATH\n")
			for _, f := range p.Files {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Change, human(f.ASize), human(f.BSize), signed(f.Delta()), f.Category, f.Path)
			}
			tw.Flush()
		}
	}
	writeOnly(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as GitHub-flavoured Markdown, for a
// pull-request comment.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### gorootimg diff\n\n**A:** `%s`  \n**B:** `%s`  \nGOROOT: `%s`\n", r.A, r.B, r.GOROOT)
	for _, p := range r.Platforms {
		pct, basis := p.Growth()
		fmt.Fprintf(&b, "\n#### %s: %+.1f%% (%s)\n\n", p.Platform, pct, basis)
		b.WriteString("| | A | B | change |\n|---|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| compressed | %s | %s | %s |\n", human(p.A.Compressed), human(p.B.Compressed), change(p.A.Compressed, p.B.Compressed))
		fmt.Fprintf(&b, "| uncompressed | %s | %s | %s |\n", human(p.A.Uncompressed), human(p.B.Uncompressed), change(p.A.Uncompressed, p.B.Uncompressed))
		fmt.Fprintf(&b, "| layers | %d | %d | %+d |\n", p.A.Layers, p.B.Layers, p.B.Layers-p.A.Layers)
		fmt.Fprintf(&b, "| files | %d | %d | %+d |\n", p.A.Files, p.B.Files, p.B.Files-p.A.Files)

		b.WriteString("\n| layer | side | digest | compressed | uncompressed | shared |\n|---|---|---|---:|---:|---|\n")
		for _, l := range p.Layers {
			d := l.Digest
			if d == "" {
				d = "diffid:" + l.DiffID
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s |\n", layerIndex(l), l.Side, short(d), human(l.Compressed), human(l.Uncompressed), yesNo(l.Shared))
		}

		b.WriteString("\n| category | A files | A bytes | B files | B bytes | change |\n|---|---:|---:|---:|---:|---:|\n")
		for _, c := range p.Categories {
			fmt.Fprintf(&b, "| %s | %d | %s | %d | %s | %s |\n", c.Name, c.AFiles, human(c.ABytes), c.BFiles, human(c.BBytes), change(c.ABytes, c.BBytes))
		}
		fmt.Fprintf(&b, "\nAdded %d files (%s), removed %d files (%s), changed %d files.\n",
			p.Added.Files, human(p.Added.Bytes), p.Removed.Files, human(p.Removed.Bytes), p.Changed.Files)
		if len(p.Files) > 0 {
			fmt.Fprintf(&b, "\n<details><summary>%d largest file changes</summary>\n\n| change | A size | B size | delta | path |\n|---|---:|---:|---:|---|\n", len(p.Files))
			for _, f := range p.Files {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", f.Change, human(f.ASize), human(f.BSize), signed(f.Delta()), f.Path)
			}
			b.WriteString("\n</details>\n")
		}
	}
	writeOnly(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOnly(b *strings.Builder, r *Report) {
	if len(r.OnlyA) > 0 {
		fmt.Fprintf(b, "\nonly in A (not compared): %s\n", strings.Join(r.OnlyA, ", "))
	}
	if len(r.OnlyB) > 0 {
		fmt.Fprintf(b, "\nonly in B (not compared): %s\n", strings.Join(r.OnlyB, ", "))
	}
}

func sizeRow(w io.Writer, label string, a, b int64) {
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t\n", label, human(a), human(b), change(a, b))
}

func layerIndex(l Layer) string {
	switch {
	case l.IndexA >= 0 && l.IndexB >= 0:
		return fmt.Sprintf("%d/%d", l.IndexA, l.IndexB)
	case l.IndexA >= 0:
		return fmt.Sprint(l.IndexA)
	}
	return fmt.Sprint(l.IndexB)
}

func short(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return d
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// change formats b-a as a size and a percentage of a.
func change(a, b int64) string {
	if a < 0 || b < 0 {
		return "n/a"
	}
	d := signed(b - a)
	if a == 0 {
		return d
	}
	return fmt.Sprintf("%s (%+.1f%%)", d, float64(b-a)*100/float64(a))
}

func signed(n int64) string {
	switch {
	case n > 0:
		return "+" + human(n)
	case n < 0:
		return "-" + human(-n)
	}
	return "0 B"
}

// human formats a byte count in binary units; -1 is "n/a".
func human(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return humanize.Bytes(n)
}
