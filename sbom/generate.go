package sbom

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/sdk"
)

// Input is what an SBOM describes.
type Input struct {
	// Required: SDK is the Go SDK the files come from (version, platform,
	// source and its hash).
	SDK *sdk.SDK
	// Required: Recipe is the recipe's name ("ci") or file.
	Recipe string
	// Optional: RecipeDigest is the recipe's "sha256:..." digest.
	RecipeDigest string
	// Files are the GOROOT files in the image, as prune.Prepare returns
	// them: names relative to GOROOT, content readable at Src. Directories
	// are skipped: SPDX lists files.
	Files goroot.FileSet
	// Digests, when Files is nil, are used instead: the files of the
	// image's GOROOT layers as layers.Write hashed them while writing
	// (WithFileDigests), named by their path in the image. Those below
	// GOROOTPath are listed, so the SBOM lists exactly what the image
	// holds without reading the layers back.
	Digests []layers.FileDigest
	// Optional: FileSystem are the files of the image's file system layer
	// (/etc/passwd, the CA bundle, ...) as layers.Write hashed them while
	// writing it, named by their path in the image. They are listed as the
	// files of a package of their own, not the Go SDK's.
	FileSystem []layers.FileDigest
	// Required: GOROOTPath is where the files are in the image ("/usr/local/go").
	GOROOTPath string
	// Optional: Base is the base image reference ("" or "scratch" for none)
	// and BaseDigest its manifest digest ("sha256:...").
	Base, BaseDigest string
	// Required: Created is the document's creation time: SOURCE_DATE_EPOCH
	// or the SDK's release time, never the wall clock, so the same inputs
	// give the same bytes.
	Created time.Time
	// Optional: Tool names the creator ("gorootimg v1.0.0"); "gorootimg" if empty.
	Tool string
}

// FileSystemCategory is the category in the comment of each file of the
// file system layer (Input.FileSystem).
const FileSystemCategory goroot.Category = "file system layer"

// Annotation keys written on the Go SDK package ("key=value" comments),
// which Read parses back.
const (
	KeyRecipe       = "gorootimg.recipe"
	KeyRecipeDigest = "gorootimg.recipe-digest"
	KeyGOROOT       = "gorootimg.goroot"
	KeyPlatform     = "gorootimg.platform"
	KeySDKSource    = "gorootimg.sdk-source"
	KeySDKHash      = "gorootimg.sdk-hash"
)

// Validate reports the first missing required field. It changes nothing.
func (in *Input) Validate() error {
	switch {
	case in.SDK == nil:
		return errors.New("sbom input: no SDK")
	case in.SDK.Version == "" || in.SDK.GOOS == "" || in.SDK.GOARCH == "":
		return errors.New("sbom input: SDK without version or platform")
	case in.Files == nil && in.Digests == nil:
		return errors.New("sbom input: neither files nor file digests")
	case in.Recipe == "":
		return errors.New("sbom input: no recipe")
	case goroot.CheckAnyImagePath(in.GOROOTPath) != nil:
		return fmt.Errorf("sbom input: GOROOT path %q is not a clean absolute path", in.GOROOTPath)
	case in.Created.IsZero():
		return errors.New("sbom input: zero creation time; pass SOURCE_DATE_EPOCH or the release time")
	case in.BaseDigest != "" && (in.Base == "" || in.Base == "scratch"):
		return errors.New("sbom input: base digest without a base reference")
	}
	return nil
}

// Generate returns the SPDX 2.3 JSON document for in. It reads every file
// once (SHA-1, which SPDX requires, and SHA-256), or none when in.Digests
// has them. The same input gives the same bytes: files are sorted, times
// come from in.Created, and the document namespace is derived from the
// content.
func Generate(ctx context.Context, in Input) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var files []entry
	var err error
	if in.Files != nil {
		files, err = fileEntries(ctx, in.Files)
	} else {
		files, err = digestEntries(ctx, in.Digests, in.GOROOTPath)
	}
	if err != nil {
		return nil, err
	}
	fsFiles, err := digestEntries(ctx, in.FileSystem, "/")
	if err != nil {
		return nil, err
	}
	g := generator{in: in, created: in.Created.UTC().Format(time.RFC3339), tool: in.Tool,
		platform: imageref.FormatPlatform(in.SDK.Platform())}
	if g.tool == "" {
		g.tool = "gorootimg"
	}
	g.tool = strings.ReplaceAll(g.tool, " ", "-")
	doc := document{
		SPDXVersion: spdxVersion,
		DataLicense: "CC0-1.0",
		SPDXID:      docID,
		Name:        fmt.Sprintf("%s %s recipe %s", in.SDK.Version, g.platform, in.Recipe),
		CreationInfo: creationInfo{
			Created:  g.created,
			Creators: []string{"Tool: " + g.tool},
			Comment:  "Go SDK files at " + in.GOROOTPath + " in an image built by gorootimg.",
		},
		DocumentDescribes: []string{goPkgID},
	}
	var sha1s []string
	if doc.Files, sha1s, err = g.files(files); err != nil {
		return nil, err
	}
	doc.Packages = append(doc.Packages, g.goPackage(doc.Files, sha1s))
	doc.Relationships = append(doc.Relationships, relationship{docID, "DESCRIBES", goPkgID, ""})
	if len(fsFiles) > 0 {
		fs, fsSHA1s, err := g.fsFiles(fsFiles)
		if err != nil {
			return nil, err
		}
		doc.Files = append(doc.Files, fs...)
		doc.Packages = append(doc.Packages, g.fsPackage(fs, fsSHA1s))
		doc.Relationships = append(doc.Relationships, relationship{fsPkgID, "OTHER", goPkgID, "the file system the Go SDK needs: GOPATH, GOCACHE, /tmp and what the base lacks of CA roots, /etc/passwd, /etc/group"})
	}
	if in.Base != "" && in.Base != "scratch" {
		doc.Packages = append(doc.Packages, g.basePackage())
		doc.Relationships = append(doc.Relationships, relationship{basePkgID, "OTHER", goPkgID, "the Go SDK is laid on top of this base image"})
	}
	return g.encode(doc)
}

// generator holds what every part of one document is made from.
type generator struct {
	in                      Input
	created, tool, platform string
}

// files are the document's file records and their SHA-1s.
func (g generator) files(files []entry) ([]file, []string, error) {
	var out []file
	var sha1s []string
	ids := map[string]string{}
	for _, f := range files {
		sha1s = append(sha1s, f.sha1)
		id := fileID(f.name)
		if other, dup := ids[id]; dup {
			return nil, nil, fmt.Errorf("generating SBOM: %q and %q share the SPDX ID %s", other, f.name, id)
		}
		ids[id] = f.name
		cat := goroot.CategoryOf(f.name)
		comment := "category: " + string(cat)
		if f.link != "" {
			comment += "; symlink to " + f.link + " (checksums are of the link target's name)"
		}
		out = append(out, file{
			FileName:         "./" + path.Join(goroot.LayerDir(g.in.GOROOTPath), f.name),
			SPDXID:           id,
			FileTypes:        fileTypes(f.name, cat),
			Checksums:        []checksum{{"SHA1", f.sha1}, {"SHA256", f.sha256}},
			LicenseConcluded: noAssertion,
			CopyrightText:    noAssertion,
			Comment:          comment,
		})
	}
	return out, sha1s, nil
}

// fsFiles are the file records of the file system layer's files, named by
// their path in the image. Their IDs are derived from that path with a
// leading slash, which no GOROOT-relative name has.
func (g generator) fsFiles(files []entry) ([]file, []string, error) {
	var out []file
	var sha1s []string
	for _, f := range files {
		sha1s = append(sha1s, f.sha1)
		comment := "category: " + string(FileSystemCategory)
		if f.link != "" {
			comment += "; symlink to " + f.link + " (checksums are of the link target's name)"
		}
		out = append(out, file{
			FileName:         "./" + f.name,
			SPDXID:           fileID("/" + f.name),
			FileTypes:        []string{"OTHER"},
			Checksums:        []checksum{{"SHA1", f.sha1}, {"SHA256", f.sha256}},
			LicenseConcluded: noAssertion,
			CopyrightText:    noAssertion,
			Comment:          comment,
		})
	}
	return out, sha1s, nil
}

// fsPackage is the file system layer's package, holding files.
func (g generator) fsPackage(files []file, sha1s []string) pkg {
	p := pkg{
		Name:                    "gorootimg-file-system",
		SPDXID:                  fsPkgID,
		DownloadLocation:        noAssertion,
		FilesAnalyzed:           true,
		LicenseConcluded:        noAssertion,
		LicenseDeclared:         noAssertion,
		CopyrightText:           noAssertion,
		Comment:                 "The file system layer gorootimg adds on top of the base (or scratch).",
		PackageVerificationCode: &verificationCode{Value: verification(sha1s)},
		PrimaryPackagePurpose:   "FILE",
	}
	for _, f := range files {
		p.HasFiles = append(p.HasFiles, f.SPDXID)
	}
	return p
}

// goPackage is the Go SDK's package, holding files.
func (g generator) goPackage(files []file, sha1s []string) pkg {
	s, in := g.in.SDK, g.in
	goPkg := pkg{
		Name:             "go",
		SPDXID:           goPkgID,
		VersionInfo:      s.Version,
		Supplier:         "Organization: The Go Authors",
		DownloadLocation: noAssertion,
		FilesAnalyzed:    true,
		Homepage:         noAssertion,
		LicenseConcluded: noAssertion,
		LicenseDeclared:  "BSD-3-Clause",
		CopyrightText:    noAssertion,
		Comment:          fmt.Sprintf("The Go SDK %s for %s at %s, pruned by gorootimg recipe %s.", s.Version, g.platform, in.GOROOTPath, in.Recipe),
		ExternalRefs: []externalRef{
			{"PACKAGE-MANAGER", "purl", "pkg:golang/stdlib@" + strings.TrimPrefix(s.Version, "go")},
			{"SECURITY", "cpe23Type", "cpe:2.3:a:golang:go:" + strings.TrimPrefix(s.Version, "go") + ":*:*:*:*:*:*:*"},
		},
		PrimaryPackagePurpose: "APPLICATION",
	}
	if len(files) > 0 {
		goPkg.PackageVerificationCode = &verificationCode{Value: verification(sha1s)}
	}
	if s.Source != "" {
		goPkg.SourceInfo = "from " + s.Source
		if s.Hash != "" {
			goPkg.SourceInfo += " (" + s.Hash + ")"
		}
	}
	if v, ok := strings.CutPrefix(s.Hash, "sha256:"); ok {
		goPkg.Checksums = []checksum{{"SHA256", v}}
	}
	for _, f := range files {
		goPkg.HasFiles = append(goPkg.HasFiles, f.SPDXID)
	}
	for _, kv := range [][2]string{
		{KeyRecipe, in.Recipe},
		{KeyRecipeDigest, in.RecipeDigest},
		{KeyGOROOT, in.GOROOTPath},
		{KeyPlatform, g.platform},
		{KeySDKSource, s.Source},
		{KeySDKHash, s.Hash},
	} {
		if kv[1] == "" {
			continue
		}
		goPkg.Annotations = append(goPkg.Annotations, annotation{
			Annotator: "Tool: " + g.tool,
			Date:      g.created,
			Type:      "OTHER",
			Comment:   kv[0] + "=" + kv[1],
		})
	}
	return goPkg
}

// basePackage is the base image's package.
func (g generator) basePackage() pkg {
	base := pkg{
		Name:                  g.in.Base,
		SPDXID:                basePkgID,
		VersionInfo:           g.in.BaseDigest,
		DownloadLocation:      noAssertion,
		FilesAnalyzed:         false,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       noAssertion,
		CopyrightText:         noAssertion,
		Comment:               "The base image below the Go SDK.",
		PrimaryPackagePurpose: "CONTAINER",
	}
	if purl := ociPURL(g.in.Base, g.in.BaseDigest); purl != "" {
		base.ExternalRefs = []externalRef{{"PACKAGE-MANAGER", "purl", purl}}
	}
	return base
}

// encode sets the namespace, which must be unique per document, from
// everything else, and encodes the document.
func (g generator) encode(doc document) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	h := sha256.Sum256(b)
	s := g.in.SDK
	doc.DocumentNamespace = fmt.Sprintf("https://github.com/gorootimg/gorootimg/spdx/%s-%s-%s-%s/%s",
		s.Version, s.GOOS, s.GOARCH, slug(g.in.Recipe), hex.EncodeToString(h[:]))
	b, err = json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	return append(b, '\n'), nil
}

// entry is one file of the document with its checksums.
type entry struct {
	name         string // relative to GOROOT
	link         string // a symlink's target; "" for a regular file
	sha1, sha256 string
}

// fileEntries hashes the regular files and symlinks of files, sorted by name.
func fileEntries(ctx context.Context, files goroot.FileSet) ([]entry, error) {
	files = files.Filter(func(f goroot.File) bool { return !f.IsDir() })
	files.Sort()
	var out []entry
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h1, h256 := sha1.New(), sha256.New()
		w := io.MultiWriter(h1, h256)
		e := entry{name: f.Name}
		if f.Mode&os.ModeSymlink != 0 {
			e.link = f.Link
			io.WriteString(w, f.Link)
		} else {
			r, err := os.Open(f.Src)
			if err != nil {
				return nil, fmt.Errorf("hashing %q: %w", f.Name, err)
			}
			_, err = io.Copy(w, r)
			r.Close()
			if err != nil {
				return nil, fmt.Errorf("hashing %q: %w", f.Name, err)
			}
		}
		e.sha1, e.sha256 = hexSum(h1), hexSum(h256)
		out = append(out, e)
	}
	return out, nil
}

// digestEntries turns the layer writer's digests of the files below
// goroot into entries, sorted by name. A symlink's checksums are those of
// its target's name, as fileEntries computes them.
func digestEntries(ctx context.Context, ds []layers.FileDigest, root string) ([]entry, error) {
	prefix := strings.TrimPrefix(root, "/") + "/"
	if goroot.IsWindowsPath(root) {
		prefix = goroot.LayerDir(root) + "/" // the layer's name: Files/...
	}
	if root == "/" {
		prefix = "" // every file of the layer, named by its path in the image
	}
	var out []entry
	for _, d := range ds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rel, ok := strings.CutPrefix(d.Name, prefix)
		if !ok || rel == "" || strings.HasPrefix(path.Base(rel), ".wh.") {
			continue // not below GOROOT, or a whiteout: not a file of the image
		}
		e := entry{name: rel, link: d.Link, sha1: d.SHA1, sha256: d.SHA256}
		if d.Link != "" {
			h1, h256 := sha1.New(), sha256.New()
			io.WriteString(io.MultiWriter(h1, h256), d.Link)
			e.sha1, e.sha256 = hexSum(h1), hexSum(h256)
		} else if d.SHA1 == "" || d.SHA256 == "" {
			return nil, fmt.Errorf("generating SBOM: no digests for %q", d.Name)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// verification is SPDX's package verification code: the SHA-1 of the sorted
// file SHA-1s concatenated.
func verification(sha1s []string) string {
	s := slices.Sorted(slices.Values(sha1s))
	h := sha1.Sum([]byte(strings.Join(s, "")))
	return hex.EncodeToString(h[:])
}

// fileID is a stable SPDX ID for a GOROOT-relative name: it does not change
// when other files come or go.
func fileID(name string) string {
	h := sha256.Sum256([]byte(name))
	return "SPDXRef-File-" + hex.EncodeToString(h[:10])
}

func fileTypes(name string, cat goroot.Category) []string {
	switch cat {
	case goroot.CatBin, goroot.CatTool:
		return []string{"BINARY"}
	case goroot.CatDocs:
		return []string{"DOCUMENTATION"}
	}
	switch path.Ext(name) {
	case ".go", ".s", ".c", ".h", ".cc", ".m":
		return []string{"SOURCE"}
	case ".zip", ".a", ".gz":
		return []string{"ARCHIVE"}
	case ".txt", ".md", ".html":
		return []string{"TEXT"}
	}
	return []string{"OTHER"}
}

// ociPURL is the package URL of an image: pkg:oci/NAME@DIGEST?repository_url=REPO.
func ociPURL(ref, digest string) string {
	if digest == "" {
		return ""
	}
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	repo = strings.TrimPrefix(repo, "image:")
	return "pkg:oci/" + path.Base(repo) + "@" + strings.Replace(digest, ":", "%3A", 1) + "?repository_url=" + repo
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
