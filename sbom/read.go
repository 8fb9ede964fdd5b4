package sbom

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
)

// Summary is what Read extracts from a gorootimg SBOM.
type Summary struct {
	// GoVersion is the SDK release ("go1.22.12").
	GoVersion string
	// Annotations holds the gorootimg.* key=value annotations of the Go
	// package (KeyRecipe, KeyRecipeDigest, KeyGOROOT, ...).
	Annotations map[string]string
	// Base and BaseDigest describe the base image; empty for scratch.
	Base, BaseDigest string
	// Files lists the GOROOT files in document order (sorted by name).
	Files []File
	// FileSystem lists the files of the file system layer (category
	// FileSystemCategory), sorted by name; none in older documents.
	FileSystem []File
}

// File is one file of a Summary.
type File struct {
	// Name is the path in the image without the leading "./" ("usr/local/go/bin/go").
	Name     string
	SHA256   string
	Category goroot.Category
}

// Read parses a document written by Generate. It is not a general SPDX
// reader: it expects the Go SDK package that Generate writes.
func Read(b []byte) (*Summary, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading SBOM: %w", err)
	}
	if doc.SPDXVersion != spdxVersion {
		return nil, fmt.Errorf("reading SBOM: spdxVersion %q, want %s", doc.SPDXVersion, spdxVersion)
	}
	s := &Summary{Annotations: map[string]string{}}
	found := false
	fsFiles := map[string]bool{}
	for _, p := range doc.Packages {
		switch p.SPDXID {
		case goPkgID:
			found = true
			s.GoVersion = p.VersionInfo
			for _, a := range p.Annotations {
				if k, v, ok := strings.Cut(a.Comment, "="); ok && strings.HasPrefix(k, "gorootimg.") {
					s.Annotations[k] = v
				}
			}
		case basePkgID:
			s.Base, s.BaseDigest = p.Name, p.VersionInfo
		case fsPkgID:
			for _, id := range p.HasFiles {
				fsFiles[id] = true
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("reading SBOM: no %s package; not written by gorootimg", goPkgID)
	}
	for _, f := range doc.Files {
		sf := File{Name: strings.TrimPrefix(f.FileName, "./")}
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				sf.SHA256 = c.Value
			}
		}
		if c, ok := strings.CutPrefix(f.Comment, "category: "); ok {
			c, _, _ = strings.Cut(c, ";")
			sf.Category = goroot.Category(c)
		}
		if fsFiles[f.SPDXID] {
			s.FileSystem = append(s.FileSystem, sf)
			continue
		}
		s.Files = append(s.Files, sf)
	}
	return s, nil
}
