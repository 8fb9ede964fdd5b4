package assemble

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/imagespec"
)

// What a Windows image leaves out, each said once in the report's notes
// and on the log: Linux notions with no Windows meaning.
const (
	noteWindowsRootFS = "Windows image: no file system layer (/tmp, /etc/passwd, CA roots are Linux notions; the base's own are used)"
	noteWindowsTools  = "Windows image: shell, C compiler and git are probed in a Linux base's /bin; a Windows base's are not measured, so the image has no capabilities label"
	noteWindowsHelper = "Windows image: no go front (it serves a warm cache built in a Linux sandbox; a Windows image has none)"
	noteWindowsWarm   = "Windows image: the recipe's warm cache is skipped (it is built by running the image's go in a Linux sandbox)"
	noteWindowsReset  = "Windows image: no opaque whiteout at the GOROOT path (Windows layers do not take one); a base with files there keeps them"
)

// windowsForm marks a Windows platform's cache keys: its layers are in
// the Windows form, and its files are chosen with the .exe rules (bump the
// number when either changes).
const windowsForm = "form windows 2"

// isWindows reports whether p is a Windows platform.
func isWindows(p v1.Platform) bool { return p.OS == "windows" }

// forPlatform is o as one platform's image takes it: the GOROOT path of
// its OS's kind (imagespec.GOROOTFor) and, for Windows, no warm cache.
func (o Options) forPlatform(p v1.Platform) Options {
	o.GOROOT = imagespec.GOROOTFor(o.GOROOT, p.OS)
	if isWindows(p) {
		o.WarmCache = nil
	}
	return o
}

// splitRoot is where pl's GOROOT files go in its layers, as a slash path
// for layers.Plan.Split: below Files/ in a Windows layer.
func splitRoot(gorootPath string) string {
	return "/" + goroot.LayerDir(gorootPath)
}

// checkWindows refuses what a Windows image cannot have, before any
// layer is written: a numeric user. (imagespec.Resolve refuses it, and an
// explicit warm cache, with the spec's key; this guards library callers.)
func (o *Options) checkWindows() error {
	for _, s := range o.SDKs {
		if !isWindows(s.Platform()) {
			continue
		}
		if o.User != "" {
			return fmt.Errorf("building image for %s: user %q: a Windows image runs as its base's account; a numeric UID has no meaning there", imageref.FormatPlatform(s.Platform()), o.User)
		}
	}
	return nil
}

// windowsNotes says once on the log what a Windows platform's image
// leaves out, and returns it for the report.
func (o Options) windowsNotes(pl *platformLayers, warmWanted bool) []string {
	notes := []string{noteWindowsRootFS, noteWindowsTools, noteWindowsHelper}
	if !o.Base.IsScratch() {
		notes = append(notes, noteWindowsReset)
	}
	if warmWanted {
		notes = append(notes, noteWindowsWarm)
	}
	for _, n := range notes {
		o.logf("%s: %s", imageref.FormatPlatform(pl.platform), n)
	}
	return notes
}
