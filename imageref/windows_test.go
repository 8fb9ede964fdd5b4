package imageref

import "testing"

// TestSplitOCIWindows: a Windows layout path's drive colon is no tag
// separator, on any OS (the layouts need not exist).
func TestSplitOCIWindows(t *testing.T) {
	for _, tc := range []struct{ in, dir, tag string }{
		{`D:\layouts\go`, `D:\layouts\go`, ""},
		{`D:\layouts\go:1.26`, `D:\layouts\go`, "1.26"},
		{`\\server\share\go:1.26`, `\\server\share\go`, "1.26"},
		{`C:go`, `C:go`, ""},
		{"out:latest", "out", "latest"},
	} {
		if dir, tag := splitOCI(tc.in); dir != tc.dir || tag != tc.tag {
			t.Errorf("splitOCI(%q) = %q, %q; want %q, %q", tc.in, dir, tag, tc.dir, tc.tag)
		}
	}
}
