package matrix

import (
	"fmt"
	"go/version"
	"strings"
	"text/template"
)

// TagTemplate is a text/template over TagData that renders one tag of an
// image. A template that renders to "" gives that image no tag.
//
// When a template renders the same tag for several releases of one
// variant, the newest release gets it: that is how "{{.Minor}}" follows
// the newest patch of each line and "latest" the newest line. A release
// candidate gets only the tags that name its full version.
type TagTemplate string

// DefaultTags is the official images' scheme: 1.26.11, 1.26, 1 and latest
// for the variant without a name, 1.26.11-bookworm, 1.26-bookworm,
// 1-bookworm and bookworm for the variant "bookworm". The minor tag goes
// to the newest release of each line, the major and the bare ones to the
// newest line.
var DefaultTags = []TagTemplate{
	"{{.Version}}{{.Suffix}}",
	"{{.Minor}}{{.Suffix}}",
	"{{.Major}}{{.Suffix}}",
	`{{or .Variant "latest"}}`,
}

// TagData is what a tag template sees.
type TagData struct {
	// Version is the release without "go": "1.26.11", "1.27rc1".
	Version string
	// Minor is its line: "1.26".
	Minor string
	// Major is "1".
	Major string
	// Variant is the variant's name, "" for the unnamed one.
	Variant string
	// Suffix is "-" + Variant, or "" for the unnamed variant.
	Suffix string
}

// newTagData describes release goVersion ("go1.26.11") in variant.
func newTagData(goVersion, variant string) TagData {
	v := strings.TrimPrefix(goVersion, "go")
	minor := strings.TrimPrefix(version.Lang(goVersion), "go")
	major, _, _ := strings.Cut(v, ".")
	d := TagData{Version: v, Minor: minor, Major: major, Variant: variant}
	if variant != "" {
		d.Suffix = "-" + variant
	}
	return d
}

func (t TagTemplate) parse() (*template.Template, error) {
	return template.New("tag").Option("missingkey=error").Parse(string(t))
}

// Validate parses the template and renders it for a sample release, so an
// unknown field is caught before any work. It changes nothing.
func (t TagTemplate) Validate() error {
	if strings.TrimSpace(string(t)) == "" {
		return fmt.Errorf("tags: an empty template; leave tags out for the default scheme")
	}
	tmpl, err := t.parse()
	if err != nil {
		return fmt.Errorf("tags: %q: %w", string(t), err)
	}
	for _, d := range []TagData{newTagData("go1.26.11", ""), newTagData("go1.26.11", "bookworm")} {
		if err := tmpl.Execute(new(strings.Builder), d); err != nil {
			return fmt.Errorf("tags: %q: %w (the fields are .Version, .Minor, .Major, .Variant and .Suffix)", string(t), err)
		}
	}
	return nil
}

// Render renders the template for d.
func (t TagTemplate) Render(d TagData) (string, error) {
	tmpl, err := t.parse()
	if err != nil {
		return "", fmt.Errorf("tags: %q: %w", string(t), err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("tags: %q: %w", string(t), err)
	}
	return strings.TrimSpace(b.String()), nil
}
