package recipes

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Kinds of inventory entries.
const (
	// KindSubcommand is a go subcommand ("go fix"), as "go help" lists it.
	KindSubcommand = "subcommand"
	// KindTool is a program "go tool NAME" runs: a binary in pkg/tool, or
	// (Go 1.25+) a command the go command builds from src/cmd on demand.
	KindTool = "tool"
	// KindFile is a file outside src/ that the go command, the standard
	// library or a target's documented workflow reads from GOROOT.
	KindFile = "file"
)

// Inventory is what one Go release line offers a CI pipeline: every go
// subcommand, every go tool and every GOROOT support file, generated from
// the newest release of the line (hack/inventory.sh) and checked in as
// recipes/inventory/go1.NN.json.
type Inventory struct {
	// Release is the release the inventory was generated from ("go1.26.11").
	Release string `json:"release"`
	// Platform is the SDK's platform ("linux/amd64"); tool paths use its
	// pkg/tool directory.
	Platform string `json:"platform"`
	// Generator is the command that rewrites the file.
	Generator string `json:"generator"`
	// Entries are sorted by ID.
	Entries []Entry `json:"entries"`
	// Unread lists the SDK's files outside src/ and pkg/ that nothing
	// reads (licenses, maintainer scripts); the guard compares them too,
	// so that a new file is noticed.
	Unread []string `json:"unread,omitempty"`
}

// Entry is one thing of a release a CI step can use.
type Entry struct {
	// ID is KIND/NAME: "subcommand/fix", "tool/nm", "file/lib/wasm/wasm_exec.js".
	ID string `json:"id"`
	// Kind is KindSubcommand, KindTool or KindFile.
	Kind string `json:"kind"`
	// Files are the GOROOT-relative files the entry needs: the tool's
	// binary, bin/gofmt for go fmt, the support file itself.
	Files []string `json:"files,omitempty"`
	// Package is the command the go command builds on demand for a tool
	// that the release does not ship prebuilt ("cmd/nm", Go 1.25+).
	Package string `json:"package,omitempty"`
	// Needs are the IDs of other entries this one runs (a subcommand's tools).
	Needs []string `json:"needs,omitempty"`
	// Targets are the GOOS/GOARCH targets whose workflow reads the file
	// ("js/wasm"); empty when every target does.
	Targets []string `json:"targets,omitempty"`
	// ReadBy names the sources that read or run the entry, as evidence
	// ("src/cmd/go/internal/fix/fix.go").
	ReadBy []string `json:"read-by,omitempty"`
	// Absent is set for a file the release's sources name but its SDK,
	// as the module proxy serves it, does not contain (misc/ before Go
	// 1.24): no recipe can keep it.
	Absent bool `json:"absent,omitempty"`
}

//go:embed inventory
var inventoryFS embed.FS

// Inventories returns the checked-in inventories, oldest line first.
func Inventories() ([]*Inventory, error) {
	names, err := inventoryFS.ReadDir("inventory")
	if err != nil {
		return nil, err
	}
	var out []*Inventory
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".json") {
			continue
		}
		b, err := inventoryFS.ReadFile("inventory/" + n.Name())
		if err != nil {
			return nil, err
		}
		inv, err := ParseInventory(b)
		if err != nil {
			return nil, fmt.Errorf("reading inventory %q: %w", n.Name(), err)
		}
		out = append(out, inv)
	}
	slices.SortFunc(out, func(a, b *Inventory) int {
		va, _ := ParseVersion(a.Release)
		vb, _ := ParseVersion(b.Release)
		return va.Compare(vb)
	})
	return out, nil
}

// ParseInventory decodes an inventory strictly and validates it.
func ParseInventory(b []byte) (*Inventory, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("decoding inventory: %w", err)
	}
	if _, err := ParseVersion(inv.Release); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, e := range inv.Entries {
		if !strings.HasPrefix(e.ID, e.Kind+"/") || ids[e.ID] {
			return nil, fmt.Errorf("inventory of %s: entry %q: want a unique ID KIND/NAME of kind %q", inv.Release, e.ID, e.Kind)
		}
		ids[e.ID] = true
	}
	for _, e := range inv.Entries {
		for _, n := range e.Needs {
			if !ids[n] {
				return nil, fmt.Errorf("inventory of %s: entry %q needs %q, which it does not list", inv.Release, e.ID, n)
			}
		}
	}
	return &inv, nil
}

// Line is the release line of the inventory ("go1.26").
func (inv *Inventory) Line() string { return LineOf(inv.Release) }

// LineOf returns the release line of a version: "go1.26.11" -> "go1.26".
func LineOf(version string) string {
	v, err := ParseVersion(version)
	if err != nil {
		return version
	}
	return fmt.Sprintf("go%d.%d", v.Major, v.Minor)
}

// InventoryFor returns the checked-in inventory of version's release
// line, or nil when there is none.
func InventoryFor(version string) (*Inventory, error) {
	invs, err := Inventories()
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		if inv.Line() == LineOf(version) {
			return inv, nil
		}
	}
	return nil, nil
}

// Entry returns the entry with this ID, or nil.
func (inv *Inventory) Entry(id string) *Entry {
	for i := range inv.Entries {
		if inv.Entries[i].ID == id {
			return &inv.Entries[i]
		}
	}
	return nil
}

// Name is the entry's ID without its kind: "fix", "lib/wasm/wasm_exec.js".
func (e *Entry) Name() string { return strings.TrimPrefix(e.ID, e.Kind+"/") }

// MatchID reports whether pattern (path.Match syntax on IDs, such as
// "tool/nm" or "file/lib/wasm/*") names the entry ID.
func MatchID(pattern, id string) bool {
	ok, err := path.Match(pattern, id)
	return err == nil && ok
}
