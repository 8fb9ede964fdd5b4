package layers

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gorootimg/gorootimg/goroot"
)

// PAXSecurityDescriptor is the PAX record of a Windows layer entry that
// holds its security descriptor (base64 of the binary form).
const PAXSecurityDescriptor = "MSWINDOWS.rawsd"

// UsersSecurityDescriptor is the security descriptor every entry of a
// Windows layer gets: owner and group BUILTIN\Users (SDDL "O:BUG:BU"), the
// value go-containerregistry and ko give the files they add, with which a
// Windows container runs the binaries.
const UsersSecurityDescriptor = "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA=="

// WithWindows makes Write write a Windows layer: every entry's name must
// be below Files/ (drive C:) or Hives/ (registry hives), the two folders
// are written first even when empty, and every entry, those two included,
// carries the PAX security-descriptor record (UsersSecurityDescriptor).
// Symlinks are refused: Windows layers keep them as reparse points, which
// no entry gorootimg writes needs. Default off.
func WithWindows(on bool) Option {
	return func(o *options) error {
		o.windows = on
		return nil
	}
}

// windowsEntries checks list (normalised) for the Windows form and adds
// the Files and Hives folders it lacks, keeping the order normalise gave.
func windowsEntries(list []Entry) ([]Entry, error) {
	have := map[string]bool{}
	for _, e := range list {
		top, _, _ := strings.Cut(e.Name, "/")
		if top != goroot.WindowsFiles && top != goroot.WindowsHives {
			return nil, fmt.Errorf("layer entry %q: a Windows layer holds only %s/ and %s/", e.Name, goroot.WindowsFiles, goroot.WindowsHives)
		}
		if e.Mode&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("layer entry %q: a Windows layer cannot hold a symlink", e.Name)
		}
		have[e.Name] = true
	}
	var extra []Entry
	for _, top := range []string{goroot.WindowsFiles, goroot.WindowsHives} {
		if !have[top] {
			extra = append(extra, Entry{Name: top, Mode: fs.ModeDir | 0o555})
		}
	}
	if len(extra) == 0 {
		return list, nil
	}
	out := append(extra, list...)
	sortEntries(out)
	return out, nil
}

// windowsHeader gives h the security-descriptor record.
func windowsHeader(h *tar.Header) {
	h.PAXRecords = map[string]string{PAXSecurityDescriptor: UsersSecurityDescriptor}
}
