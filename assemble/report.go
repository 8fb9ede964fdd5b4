package assemble

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/humanize"
)

// Report compares each platform's GOROOT layers with those of the full SDK
// written with the same compression.
type Report struct {
	Recipe      string           `json:"recipe"`
	Compression string           `json:"compression"`
	LayerPlan   string           `json:"layerPlan"`
	Platforms   []PlatformReport `json:"platforms"`
}

// PlatformReport is one platform's figures.
type PlatformReport struct {
	Platform  string        `json:"platform"`
	GoVersion string        `json:"goVersion"`
	Layers    []LayerReport `json:"layers"`
	Full      []LayerReport `json:"full"`
	Total     Sizes         `json:"total"`
	FullTotal Sizes         `json:"fullTotal"`
	// SavedPercent is how much smaller the compressed GOROOT is than the
	// full SDK's; SavedUncompressedPercent the same for the content.
	SavedPercent             float64 `json:"savedPercent"`
	SavedUncompressedPercent float64 `json:"savedUncompressedPercent"`
	// FileSystem is the file system layer (rootfs: /tmp, GOPATH, GOCACHE
	// and what the base lacks of CA roots, /etc/passwd, /etc/group); none
	// when the base has it all. It is in neither Total nor FullTotal.
	FileSystem *LayerReport `json:"fileSystem,omitempty"`
	// WarmCache is the warm build cache layer, with --warm-cache.
	WarmCache *WarmReport `json:"warmCache,omitempty"`
	// Capabilities says what the image can run (measured from the base's
	// files) and whether it works on a read-only root.
	Capabilities *Capabilities `json:"capabilities,omitempty"`
}

// LayerReport is one GOROOT layer.
type LayerReport struct {
	Group  string `json:"group"`
	Digest string `json:"digest"`
	Sizes
	Cached bool `json:"cached"`
}

// Sizes are a layer's (or a sum of layers') figures.
type Sizes struct {
	Files int `json:"files"`
	// Uncompressed is the tar stream's length; Compressed the blob's.
	Uncompressed int64 `json:"uncompressed"`
	Compressed   int64 `json:"compressed"`
}

func (s *Sizes) add(t Sizes) {
	s.Files += t.Files
	s.Uncompressed += t.Uncompressed
	s.Compressed += t.Compressed
}

func (pl *platformLayers) report() PlatformReport {
	r := PlatformReport{Platform: imageref.FormatPlatform(pl.platform), GoVersion: pl.sdk.Version}
	conv := func(ls []*namedLayer, total *Sizes) []LayerReport {
		var out []LayerReport
		for _, nl := range ls {
			lr := LayerReport{Group: nl.Group, Digest: nl.Layer.Digest.String(), Cached: nl.Cached,
				Sizes: Sizes{Files: nl.Layer.Files, Uncompressed: nl.Layer.UncompressedSize, Compressed: nl.Layer.Size}}
			total.add(lr.Sizes)
			out = append(out, lr)
		}
		return out
	}
	r.Layers = conv(pl.layers, &r.Total)
	r.Full = conv(pl.full, &r.FullTotal)
	r.SavedPercent = saved(r.Total.Compressed, r.FullTotal.Compressed)
	r.SavedUncompressedPercent = saved(r.Total.Uncompressed, r.FullTotal.Uncompressed)
	return r
}

func saved(n, full int64) float64 {
	if full == 0 {
		return 0
	}
	return float64(int64(1000*float64(full-n)/float64(full)+0.5)) / 10
}

// WriteText writes the report as tables, one per platform.
func (r *Report) WriteText(w io.Writer) error {
	for i, p := range r.Platforms {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s %s, recipe %s, %s layers:\n", p.Platform, p.GoVersion, r.Recipe, r.Compression)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "layer\tfiles\tuncompressed\tcompressed\tdigest\t\n")
		for _, l := range p.Layers {
			d := strings.TrimPrefix(l.Digest, "sha256:")
			if len(d) > 12 {
				d = d[:12]
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", l.Group, l.Files, humanize.Bytes(l.Uncompressed), humanize.Bytes(l.Compressed), d)
		}
		fmt.Fprintf(tw, "total\t%d\t%s\t%s\t\t\n", p.Total.Files, humanize.Bytes(p.Total.Uncompressed), humanize.Bytes(p.Total.Compressed))
		fmt.Fprintf(tw, "full SDK\t%d\t%s\t%s\t\t\n", p.FullTotal.Files, humanize.Bytes(p.FullTotal.Uncompressed), humanize.Bytes(p.FullTotal.Compressed))
		fmt.Fprintf(tw, "saved\t%d\t%.1f%%\t%.1f%%\t\t\n", p.FullTotal.Files-p.Total.Files, p.SavedUncompressedPercent, p.SavedPercent)
		if err := tw.Flush(); err != nil {
			return err
		}
		if fs := p.FileSystem; fs != nil {
			fmt.Fprintf(w, "file system layer: %d files, %s, %s compressed\n", fs.Files, humanize.Bytes(fs.Uncompressed), humanize.Bytes(fs.Compressed))
		}
		if wc := p.WarmCache; wc != nil {
			cgo := "off"
			if wc.CGOEnabled {
				cgo = "on, CC=" + wc.CC
			}
			fmt.Fprintf(w, "warm cache (%s): %d files, %s, %s compressed, cgo %s, built on the %s path\n",
				strings.Join(wc.List, ","), wc.Layer.Files, humanize.Bytes(wc.Layer.Uncompressed), humanize.Bytes(wc.Layer.Compressed), cgo, wc.Path)
		}
		if c := p.Capabilities; c != nil {
			if strings.HasPrefix(p.Platform, "windows/") {
				fmt.Fprintf(w, "can run: not measured (Windows image)\n")
			} else {
				fmt.Fprintf(w, "can run: %s\n", c)
			}
			for _, n := range c.Notes {
				fmt.Fprintf(w, "  note: %s\n", n)
			}
		}
	}
	return nil
}
