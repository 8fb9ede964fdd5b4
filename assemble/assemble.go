package assemble

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/provenance"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sdk"
)

// FullRecipe is the recipe name of an unpruned SDK (Options.Recipe nil).
const FullRecipe = "full"

// Options are the inputs of Build.
type Options struct {
	// SDKs holds one SDK per platform to build, in index order.
	SDKs []*sdk.SDK
	// Resolved is the image: what imagespec.Spec.Resolve returns. Its
	// zero value is an empty spec's defaults but the recipe (nil lays the
	// whole SDK unchanged, "full") and asks for no SBOM or provenance.
	imagespec.Resolved
	// MTime is every entry's modification time and the image's created
	// time. Zero means each SDK's release time from VERSION.
	MTime time.Time
	// Tool names the creator in SBOMs ("gorootimg v1.2.3"); "gorootimg"
	// when empty.
	Tool string
	// Builder is the gorootimg that runs, as the provenance statements
	// (Resolved.Provenance: each platform image's SLSA v1 statement as a
	// Referrer of Kind ProvenanceKind, made from the options as Assemble
	// filled them in) record it.
	Builder provenance.Builder
	// Subject names the repository the images go to, as provenance
	// records it ("ghcr.io/org/go"); it may be empty.
	Subject string
	// CacheDir holds finished layers between runs (a directory of its own,
	// such as $GOROOTIMG_CACHE/build). Empty means no cache: layers live
	// in a temporary directory until Result.Close.
	CacheDir string
	// Jobs is how many layers are written at once (GOMAXPROCS when 0).
	// Each gzip layer also compresses its blocks in parallel.
	Jobs int
	// Progress, when set, is told about each layer as it is written.
	Progress func(Event)
	// Logf, when set, gets progress lines of the warm-cache step (its
	// commands and notes).
	Logf func(format string, args ...any)
	// HostSDK, when set, gives the SDK of an image's release that runs on
	// this host (cmd: sdk.HostRelease). The warm-cache step builds with it
	// without privileges or emulation wherever the cache involves no C
	// compiler (warmcache.WithHostGOROOT), and the go front of a foreign
	// platform's image is compiled with it. Without it the warm step uses
	// the sandbox and such an image gets no front (its report says so).
	HostSDK HostSDKFunc
}

// Event reports progress on one layer.
type Event struct {
	// Platform is "linux/amd64"; Layer is the group ("toolchain"), with a
	// "full:" prefix for layers written only for the size report.
	Platform, Layer string
	// Total is the layer's content size in bytes and Done how much of it
	// has been written so far.
	Done, Total int64
	// Finished is true on the layer's last event; Cached when it came from
	// the cache without being written.
	Finished, Cached bool
}

// Result is what Build made: everything a publisher writes, computed
// without writing to any output. Close it when the outputs are written.
type Result struct {
	// Index lists one image per platform, in the order of Options.SDKs.
	// Its digest is known before anything is published.
	Index v1.ImageIndex
	// Images are the per-platform images, in index order.
	Images []PlatformImage
	// Report compares each image's GOROOT with the full SDK's.
	Report *Report
	// Reused is true when every layer came from the cache.
	Reused bool

	cleanup func() error
}

// PlatformImage is one platform's image and the artifacts about it.
type PlatformImage struct {
	Platform v1.Platform
	Image    v1.Image
	// Referrers are artifacts whose subject is Image (its SBOM, its
	// provenance): every publisher attaches them next to the image.
	Referrers []Referrer
}

// Close removes temporary files (layers written without a cache).
func (r *Result) Close() error {
	if r == nil || r.cleanup == nil {
		return nil
	}
	err := r.cleanup()
	r.cleanup = nil
	return err
}

// Build makes one image per SDK: the base image for its platform, the
// SDK pruned by the recipe as a few layers at the GOROOT path, and the
// config of Config. It also writes (or finds in the cache) the full SDK's
// layers to report what the recipe saved, and with Options.SBOM makes each
// image's SBOM. Nothing is written to outputs: see package publish.
func Assemble(ctx context.Context, o Options) (_ *Result, err error) {
	if err := o.normalise(); err != nil {
		return nil, err
	}
	// Everything that can fail cheaply is checked before any layer is written.
	bases, err := o.bases()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	st, err := newStore(o.CacheDir)
	if err != nil {
		return nil, err
	}
	res.cleanup = st.Close
	defer func() {
		if err != nil {
			res.Close()
		}
	}()
	plats, err := buildLayers(ctx, o, st)
	if err != nil {
		return nil, err
	}
	if err := res.assemble(ctx, o, st, bases, plats); err != nil {
		return nil, err
	}
	return res, nil
}

// normalise fills in the defaults of o and checks what needs no I/O.
func (o *Options) normalise() error {
	if len(o.SDKs) == 0 {
		return errors.New("building image: no SDK given")
	}
	if o.Compression == "" {
		o.Compression = layers.Gzip
	}
	if _, err := layers.ParseCompression(string(o.Compression)); err != nil {
		return err
	}
	if o.LayerPlan == nil {
		o.LayerPlan, _ = layers.ParsePlan(layers.DefaultPlan)
	}
	if o.GOROOT == "" {
		o.GOROOT = goroot.DefaultImagePath
	}
	if err := checkGOROOT(o.GOROOT); err != nil {
		return err
	}
	if err := o.checkWindows(); err != nil {
		return err
	}
	if o.Base == nil {
		o.Base = imageref.Scratch
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	seen := map[string]bool{}
	for _, s := range o.SDKs {
		p := imageref.FormatPlatform(s.Platform())
		if seen[p] {
			return fmt.Errorf("building image: two SDKs for %s", p)
		}
		seen[p] = true
		if _, err := imageconfig.Created(o.MTime, s.Tree()); err != nil {
			return fmt.Errorf("building image: %w", err)
		}
	}
	return nil
}

// assemble stacks each platform's layers on its base, makes its SBOM when
// asked, and puts the images under one index.
func (r *Result) assemble(ctx context.Context, o Options, st *store, bases []v1.Image, plats []*platformLayers) error {
	r.Reused = true
	r.Report = &Report{Recipe: recipeName(o.Recipe), Compression: string(o.Compression), LayerPlan: o.LayerPlan.String()}
	for i, pl := range plats {
		r.Reused = r.Reused && pl.reused
		o := o.forPlatform(pl.platform)
		fsl, caps, err := r.platformExtras(ctx, o, st, bases[i], pl)
		if err != nil {
			return err
		}
		img, err := assemble(bases[i], o.Base, pl, o, fsl, nil, caps)
		if err != nil {
			return err
		}
		var warm *WarmReport
		if len(o.WarmCache) > 0 {
			// The warm step runs the image's go without the front.
			wimg, err := assemble(bases[i], o.Base, pl, o, fsl, nil, nil)
			if err != nil {
				return err
			}
			wl, wr, err := warmLayer(ctx, wimg, st, o, pl)
			if err != nil {
				return err
			}
			r.Reused = r.Reused && wl.Cached
			if img, err = assemble(bases[i], o.Base, pl, o, fsl, wl, caps); err != nil {
				return err
			}
			warm = wr
		}
		pi := PlatformImage{Platform: pl.platform, Image: img}
		if o.SBOM {
			ref, err := sbomReferrer(ctx, o, pl, fsl)
			if err != nil {
				return err
			}
			pi.Referrers = append(pi.Referrers, ref)
		}
		if o.Provenance {
			ref, err := provenanceReferrer(&pi, o, i)
			if err != nil {
				return err
			}
			pi.Referrers = append(pi.Referrers, ref)
		}
		r.Images = append(r.Images, pi)
		pr := pl.report()
		if fsl != nil {
			lr := layerReport(fsl)
			pr.FileSystem = &lr
		}
		pr.WarmCache = warm
		pr.Capabilities = caps
		r.Report.Platforms = append(r.Report.Platforms, pr)
	}
	var err error
	r.Index, err = index(r.Images)
	return err
}

// platformExtras writes (or finds) what a platform's image has besides
// its GOROOT: the file system layer and the go front, with the
// capabilities measured from the base. A Windows image has neither and is
// not measured: its Capabilities only say so (windowsNotes).
func (r *Result) platformExtras(ctx context.Context, o Options, st *store, base v1.Image, pl *platformLayers) (*namedLayer, *Capabilities, error) {
	if isWindows(pl.platform) {
		warmWanted := o.Recipe != nil && o.Recipe.WarmCache != ""
		return nil, &Capabilities{Notes: o.windowsNotes(pl, warmWanted)}, nil
	}
	fsl, err := fsLayer(ctx, base, st, o, pl)
	if err != nil {
		return nil, nil, err
	}
	caps, err := r.helper(ctx, o, st, base, pl)
	if err != nil {
		return nil, nil, err
	}
	return fsl, caps, nil
}

// helper measures what the platform's image can run and writes (or finds)
// its go front layer into pl.
func (r *Result) helper(ctx context.Context, o Options, st *store, base v1.Image, pl *platformLayers) (*Capabilities, error) {
	caps, err := measureTools(st, base)
	if err != nil {
		return nil, err
	}
	cpl, note, err := frontLayer(ctx, st, o, pl)
	if err != nil {
		return nil, err
	}
	if cpl != nil {
		r.Reused = r.Reused && cpl.Cached
	}
	pl.front, caps.ReadOnlyRoot = cpl, cpl != nil
	if note != "" {
		o.logf("%s: %s", imageref.FormatPlatform(pl.platform), note)
		caps.Notes = append(caps.Notes, note)
	}
	return &caps, nil
}

func checkGOROOT(p string) error {
	if err := goroot.CheckAnyImagePath(p); err != nil {
		return fmt.Errorf("GOROOT path %w", err)
	}
	return nil
}

func recipeName(r *recipes.Recipe) string {
	if r == nil {
		return FullRecipe
	}
	return r.Name
}

func recipeDigest(r *recipes.Recipe) string {
	if r == nil {
		return ""
	}
	return r.Digest()
}

// compression is the layer options every layer of the build shares.
func (o Options) compression() []layers.Option {
	return []layers.Option{layers.WithCompression(o.Compression), layers.WithCompressionLevel(o.CompressionLevel)}
}

// compressionSettings names the compression in cache keys.
func (o Options) compressionSettings() string {
	return o.Compression.SettingsLevel(o.CompressionLevel)
}
