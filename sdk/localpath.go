package sdk

import (
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
)

// isPathSpec reports whether a --go value is written as a file system
// path on goos (the OS gorootimg runs on), so that a path that does not
// exist is reported as such rather than as an unknown kind of source. On
// any OS a value with a slash or starting with "." is a path; on Windows
// also one with a backslash, a drive letter ("D:\dev\go\1.22.5",
// "D:/dev/go", "d:go") or a UNC prefix ("\\server\share\go",
// "//server/share/go", "\\?\D:\go").
func isPathSpec(spec, goos string) bool {
	if strings.ContainsRune(spec, '/') || strings.HasPrefix(spec, ".") {
		return true
	}
	if goos != "windows" {
		return false
	}
	return strings.ContainsRune(spec, '\\') || goroot.IsWindowsPath(spec)
}
