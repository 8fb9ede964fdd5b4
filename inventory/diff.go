package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gorootimg/gorootimg/recipes"
)

// Diff lists how fresh, an inventory generated from a release, differs
// from checked, the checked-in inventory of its line: entries added or
// removed, entries whose files, package, needs or presence changed (a
// tool now built on demand, a support file moved), and files outside src/
// that appeared or went. The releases themselves may differ (a new patch
// release of the line); nothing else may.
func Diff(checked, fresh *recipes.Inventory) []string {
	var out []string
	fresh = onPlatform(fresh, checked.Platform)
	for _, e := range fresh.Entries {
		old := checked.Entry(e.ID)
		if old == nil {
			out = append(out, fmt.Sprintf("%s: new in %s (not in the inventory of %s)", e.ID, fresh.Release, checked.Release))
			continue
		}
		if d := entryDiff(old, &e); d != "" {
			out = append(out, fmt.Sprintf("%s: %s in %s, was %s in %s", e.ID, d, fresh.Release, entryDiff(&e, old), checked.Release))
		}
	}
	for _, e := range checked.Entries {
		if fresh.Entry(e.ID) == nil {
			out = append(out, fmt.Sprintf("%s: gone from %s (in the inventory of %s)", e.ID, fresh.Release, checked.Release))
		}
	}
	for _, f := range fresh.Unread {
		if !slices.Contains(checked.Unread, f) {
			out = append(out, fmt.Sprintf("file %s: new in %s, and nothing is known to read it", f, fresh.Release))
		}
	}
	for _, f := range checked.Unread {
		if !slices.Contains(fresh.Unread, f) && fresh.Entry("file/"+f) == nil {
			out = append(out, fmt.Sprintf("file %s: gone from %s", f, fresh.Release))
		}
	}
	return out
}

// entryDiff describes the fields of b that differ from a ("" when none
// does). ReadBy (evidence) and Targets do not count.
func entryDiff(a, b *recipes.Entry) string {
	var d []string
	if !slices.Equal(a.Files, b.Files) {
		d = append(d, fmt.Sprintf("files %v", b.Files))
	}
	if a.Package != b.Package {
		d = append(d, fmt.Sprintf("package %q", b.Package))
	}
	if !slices.Equal(a.Needs, b.Needs) {
		d = append(d, fmt.Sprintf("needs %v", b.Needs))
	}
	if a.Absent != b.Absent {
		d = append(d, fmt.Sprintf("absent %v", b.Absent))
	}
	return strings.Join(d, ", ")
}

// Check generates the inventory of the SDK in goroot (release version,
// this machine's platform goos/goarch) and compares it with the
// checked-in inventory of its line. It returns the differences, or one
// line saying that the line has no checked-in inventory; none means the
// recipes' coverage (go test ./recipes) still holds for the release.
func Check(ctx context.Context, goroot, version, goos, goarch string) ([]string, error) {
	checked, err := recipes.InventoryFor(version)
	if err != nil {
		return nil, err
	}
	if checked == nil {
		return []string{fmt.Sprintf("%s: no checked-in inventory for the line %s", version, recipes.LineOf(version))}, nil
	}
	fresh, err := Generate(ctx, goroot, version, goos, goarch)
	if err != nil {
		return nil, err
	}
	return Diff(checked, fresh), nil
}

// onPlatform returns inv with its tool paths rewritten for platform
// ("linux/amd64"), so that an inventory generated on another host
// compares equal.
func onPlatform(inv *recipes.Inventory, platform string) *recipes.Inventory {
	if inv.Platform == platform || platform == "" {
		return inv
	}
	from := "pkg/tool/" + strings.ReplaceAll(inv.Platform, "/", "_") + "/"
	to := "pkg/tool/" + strings.ReplaceAll(platform, "/", "_") + "/"
	c := *inv
	c.Entries = slices.Clone(inv.Entries)
	for i := range c.Entries {
		files := slices.Clone(c.Entries[i].Files)
		for j, f := range files {
			if rest, ok := strings.CutPrefix(f, from); ok {
				files[j] = to + rest
			}
		}
		c.Entries[i].Files = files
	}
	return &c
}
