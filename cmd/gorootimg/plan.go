package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/internal/humanize"
	"github.com/gorootimg/gorootimg/prune"
	"github.com/gorootimg/gorootimg/recipes"
)

func init() {
	register(&command{
		name:    "plan",
		summary: "show which GOROOT files a recipe keeps and drops",
		usage:   "gorootimg plan [--go SPEC] [--recipe NAME|FILE] [--platform LIST] [--json] [--why PATH] [--list kept|dropped]",
		long: `
Resolves the recipe against the SDK of each platform and prints, per size
category, the files and bytes of the full SDK next to those the recipe
keeps. Nothing is written: a plan is what 'gorootimg build' would lay into
the image.

--why PATH names the rule that keeps or drops one GOROOT-relative path.
--list prints the kept or dropped file names instead of the table.

Examples:

	gorootimg plan --go 1.22.12 --recipe minimal --platform linux/amd64
	gorootimg plan --go 1.26 --recipe ci --why src/cmd/covdata/covdata.go
	gorootimg plan --go local --recipe ./my-recipe.yaml --json`,
		flags: func(fs *pflag.FlagSet) func(context.Context, *env, []string) error {
			var sf sdkFlags
			sf.register(fs)
			recipe := fs.String("recipe", recipes.Default, "a built-in recipe ("+fmt.Sprint(recipes.Names())+") or a recipe file")
			asJSON := fs.Bool("json", false, "print the plan as JSON")
			why := fs.String("why", "", "name the rule that keeps or drops this GOROOT-relative path")
			list := fs.String("list", "", "print the kept or dropped file names, one a line")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("plan takes no arguments; give the SDK with --go and the recipe with --recipe")
				}
				return runPlan(ctx, e, &sf, &planFlags{recipe: *recipe, asJSON: *asJSON, why: *why, list: *list})
			}
		},
	})
}

type planFlags struct {
	recipe, why, list string
	asJSON            bool
}

func runPlan(ctx context.Context, e *env, sf *sdkFlags, f *planFlags) error {
	if f.list != "" && f.list != "kept" && f.list != "dropped" {
		return usagef("--list %q: want kept or dropped", f.list)
	}
	r, err := recipes.Lookup(f.recipe)
	if err != nil {
		return err
	}
	sdks, err := sf.resolve(ctx, e, nil)
	if err != nil {
		return err
	}
	var reports []planReport
	for _, s := range sdks {
		p, err := prune.Resolve(ctx, s.Tree(), r)
		if err != nil {
			return err
		}
		switch {
		case f.why != "":
			if err := printWhy(e.stdout, p, f.why); err != nil {
				return err
			}
		case f.list != "":
			printList(e.stdout, p, f.list)
		default:
			rep := newPlanReport(p)
			if rep.Coverage, err = newPlanCoverage(p); err != nil {
				return err
			}
			reports = append(reports, rep)
		}
	}
	if f.why != "" || f.list != "" {
		return nil
	}
	return printPlanReports(e.stdout, reports, f.asJSON)
}

// printWhy prints the rule that keeps or drops one --why path.
func printWhy(w io.Writer, p *prune.Plan, name string) error {
	why := p.Why(name)
	if why == "" {
		t := p.Target
		return fmt.Errorf("--why %q: no such file or directory in %s %s", name, t.Version, treePlatform(t))
	}
	fmt.Fprintf(w, "%s: %s\n", name, why)
	return nil
}

// printList prints the kept or dropped file names, one a line.
func printList(w io.Writer, p *prune.Plan, which string) {
	set := p.Kept
	if which == "dropped" {
		set = p.Dropped
	}
	for _, f := range set.Regular() {
		fmt.Fprintln(w, f.Name)
	}
}

func printPlanReports(w io.Writer, reports []planReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "\t")
		return enc.Encode(reports)
	}
	for i, rep := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		rep.print(w)
	}
	return nil
}

// planReport is the JSON form of a plan.
type planReport struct {
	Recipe       string        `json:"recipe"`
	RecipeDigest string        `json:"recipe_digest"`
	GoVersion    string        `json:"go_version"`
	Platform     string        `json:"platform"`
	Scope        string        `json:"scope"`
	Categories   []planCatLine `json:"categories"`
	Total        planCatLine   `json:"total"`
	Stripped     int           `json:"stripped_binaries"`
	Coverage     *planCoverage `json:"coverage,omitempty"`
}

type planCatLine struct {
	Category  goroot.Category `json:"category"`
	FullFiles int             `json:"full_files"`
	FullBytes int64           `json:"full_bytes"`
	KeptFiles int             `json:"kept_files"`
	KeptBytes int64           `json:"kept_bytes"`
}

func newPlanReport(p *prune.Plan) planReport {
	rep := planReport{
		Recipe: p.Recipe.Name, RecipeDigest: p.Recipe.Digest(), GoVersion: p.Target.Version,
		Platform: treePlatform(p.Target), Scope: p.Recipe.Scope(), Stripped: len(p.Stripped),
		Total: planCatLine{Category: "total"},
	}
	lines := map[goroot.Category]*planCatLine{}
	for _, c := range goroot.Categories {
		lines[c] = &planCatLine{Category: c}
	}
	for _, f := range p.All.Regular() {
		l := lines[goroot.CategoryOf(f.Name)]
		l.FullFiles++
		l.FullBytes += f.Size
	}
	for _, f := range p.Kept.Regular() {
		l := lines[goroot.CategoryOf(f.Name)]
		l.KeptFiles++
		l.KeptBytes += f.Size
	}
	for _, c := range goroot.Categories {
		l := lines[c]
		rep.Categories = append(rep.Categories, *l)
		rep.Total.FullFiles += l.FullFiles
		rep.Total.FullBytes += l.FullBytes
		rep.Total.KeptFiles += l.KeptFiles
		rep.Total.KeptBytes += l.KeptBytes
	}
	return rep
}

func pct(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

func (rep planReport) print(w io.Writer) {
	fmt.Fprintf(w, "recipe %s (%s) on %s %s, builds for %s\n", rep.Recipe, rep.RecipeDigest, rep.GoVersion, rep.Platform, rep.Scope)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "category\tfull files\tfull size\tkept files\tkept size\tkept\t\n")
	for _, l := range append(rep.Categories, rep.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t\n", l.Category, l.FullFiles, humanize.Bytes(l.FullBytes), l.KeptFiles, humanize.Bytes(l.KeptBytes), pct(l.KeptBytes, l.FullBytes))
	}
	tw.Flush()
	if rep.Stripped > 0 {
		fmt.Fprintf(w, "%d binaries have their symbol tables stripped\n", rep.Stripped)
	}
	if rep.Coverage != nil {
		rep.Coverage.print(w)
	}
}

// treePlatform is t's platform as the CLI prints it ("linux/amd64").
func treePlatform(t goroot.Tree) string {
	return imageref.FormatPlatform(v1.Platform{OS: t.GOOS, Architecture: t.GOARCH})
}
