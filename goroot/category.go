package goroot

import "strings"

// Category groups GOROOT files for size reports. plan, build and diff all
// use these names.
type Category string

// The categories, in report order.
const (
	CatBin      Category = "bin"
	CatTool     Category = "pkg/tool"
	CatInclude  Category = "pkg/include"
	CatStd      Category = "std sources"
	CatCmd      Category = "src/cmd"
	CatTests    Category = "tests"
	CatTestdata Category = "testdata"
	CatDocs     Category = "docs"
	CatLib      Category = "lib"
	CatOther    Category = "other"
	CatOutside  Category = "outside GOROOT" // used by diff for image files not under GOROOT
)

// Categories lists the GOROOT categories in report order (without CatOutside).
var Categories = []Category{CatBin, CatTool, CatInclude, CatStd, CatCmd, CatTests, CatTestdata, CatDocs, CatLib, CatOther}

// CategoryOf returns the category of a slash path relative to GOROOT.
func CategoryOf(name string) Category {
	switch {
	case strings.HasPrefix(name, "bin/") || name == "bin":
		return CatBin
	case strings.HasPrefix(name, "pkg/tool/") || name == "pkg/tool":
		return CatTool
	case strings.HasPrefix(name, "pkg/include/") || name == "pkg/include":
		return CatInclude
	case strings.Contains("/"+name+"/", "/testdata/"):
		return CatTestdata
	case strings.HasPrefix(name, "test/") || name == "test" ||
		strings.HasPrefix(name, "src/") && strings.HasSuffix(name, "_test.go"):
		return CatTests
	case strings.HasPrefix(name, "src/cmd/") || name == "src/cmd":
		return CatCmd
	case strings.HasPrefix(name, "src/") || name == "src":
		return CatStd
	case strings.HasPrefix(name, "api/") || name == "api" ||
		strings.HasPrefix(name, "doc/") || name == "doc" ||
		!strings.Contains(name, "/") && strings.HasSuffix(name, ".md"):
		return CatDocs
	case strings.HasPrefix(name, "lib/") || name == "lib":
		return CatLib
	}
	return CatOther
}
