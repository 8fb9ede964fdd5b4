package layers

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/goroot"
)

func TestParsePlan(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", DefaultPlan, ""},
		{"toolchain", "toolchain,rest", ""},
		{"rest", "rest", ""},
		{"std,toolchain", "std,toolchain,rest", ""},
		{"toolchain,bogus", "", "unknown group"},
		{"std,std", "", "twice"},
		{"rest,std", "", "last"},
	} {
		p, err := ParsePlan(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePlan(%q) = %v, want error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePlan(%q) = %v, %v, want %s", tc.in, p, err, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	files := goroot.FileSet{
		{Name: "README.md", Src: "/sdk/README.md", Mode: 0o644, Size: 1},
		{Name: "VERSION", Src: "/sdk/VERSION", Mode: 0o644, Size: 1},
		{Name: "bin", Mode: fs.ModeDir | 0o755},
		{Name: "bin/go", Src: "/sdk/bin/go", Mode: 0o755, Size: 1},
		{Name: "src/fmt/print.go", Src: "/sdk/src/fmt/print.go", Mode: 0o644, Size: 1},
		{Name: "src/fmt/print_test.go", Src: "/sdk/src/fmt/print_test.go", Mode: 0o644, Size: 1},
	}
	for _, tc := range []struct {
		plan string
		want string // group: names, ...
	}{
		{"", "toolchain: usr/local/go/bin usr/local/go/bin/go; std: usr/local/go/src/fmt/print.go; tests: usr/local/go/src/fmt/print_test.go; rest: usr/local/go/README.md usr/local/go/VERSION"},
		{"docs,toolchain", "docs: usr/local/go/README.md; toolchain: usr/local/go/bin usr/local/go/bin/go; rest: usr/local/go/VERSION usr/local/go/src/fmt/print.go usr/local/go/src/fmt/print_test.go"},
		{"rest", "rest: usr/local/go/README.md usr/local/go/VERSION usr/local/go/bin usr/local/go/bin/go usr/local/go/src/fmt/print.go usr/local/go/src/fmt/print_test.go"},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			p, err := ParsePlan(tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range p.Split(files, "/usr/local/go") {
				var names []string
				for _, e := range g.Entries {
					names = append(names, e.Name)
				}
				got = append(got, g.Name+": "+strings.Join(names, " "))
			}
			if s := strings.Join(got, "; "); s != tc.want {
				t.Errorf("ParsePlan(%q).Split = %s, want %s", tc.plan, s, tc.want)
			}
		})
	}
	for _, g := range planGroups {
		if GroupHolds(g.name) == "" {
			t.Errorf("GroupHolds(%q) is empty: the image history needs its words", g.name)
		}
	}
}
