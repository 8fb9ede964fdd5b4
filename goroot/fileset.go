package goroot

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// File is one entry of a GOROOT tree.
type File struct {
	// Name is the slash-separated path relative to GOROOT ("src/fmt/print.go").
	Name string
	// Src is the absolute path of the content on disk. After prune.Apply it may
	// point at a transformed copy (a stripped binary) rather than the SDK.
	Src string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink) and the
	// permission bits of the file in the SDK tree.
	Mode fs.FileMode
	// Size is the content size in bytes (0 for directories and symlinks).
	Size int64
	// Link is the target of a symlink.
	Link string
}

// IsDir reports whether f is a directory.
func (f File) IsDir() bool { return f.Mode.IsDir() }

// FileSet is a list of files sorted by Name, modelled on cmd/distpack's
// Archive. Methods that change the set return a new one.
type FileSet []File

// Scan lists every file, directory and symlink below goroot. It does not
// follow symlinks. The result is sorted by name and excludes the root itself.
func Scan(goroot string) (FileSet, error) {
	var fsys FileSet
	err := filepath.WalkDir(goroot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == goroot {
			return nil
		}
		rel, err := filepath.Rel(goroot, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := File{Name: filepath.ToSlash(rel), Src: p, Mode: info.Mode()}
		switch {
		case info.Mode().IsRegular():
			f.Size = info.Size()
		case info.Mode()&fs.ModeSymlink != 0:
			if f.Link, err = os.Readlink(p); err != nil {
				return err
			}
		case info.IsDir():
		default:
			return fmt.Errorf("%s: unsupported file type %v in Go SDK", p, info.Mode().Type())
		}
		fsys = append(fsys, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", goroot, err)
	}
	fsys.Sort()
	return fsys, nil
}

// Sort sorts the set by name.
func (s FileSet) Sort() {
	slices.SortFunc(s, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
}

// Clone returns a copy of the set.
func (s FileSet) Clone() FileSet { return slices.Clone(s) }

// Filter returns the files for which keep returns true.
func (s FileSet) Filter(keep func(File) bool) FileSet {
	var out FileSet
	for _, f := range s {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// Regular returns only the regular files and symlinks (no directories).
func (s FileSet) Regular() FileSet {
	return s.Filter(func(f File) bool { return !f.IsDir() })
}

// Lookup returns the file with the given name.
func (s FileSet) Lookup(name string) (File, bool) {
	i, ok := slices.BinarySearchFunc(s, name, func(f File, n string) int { return strings.Compare(f.Name, n) })
	if !ok {
		return File{}, false
	}
	return s[i], true
}

// Bytes is the total content size of the set.
func (s FileSet) Bytes() int64 {
	var n int64
	for _, f := range s {
		n += f.Size
	}
	return n
}

// WithParents returns the set plus every parent directory of its entries,
// taking directory modes from all (the complete scan) where present.
func (s FileSet) WithParents(all FileSet) FileSet {
	have := make(map[string]bool, len(s))
	for _, f := range s {
		have[f.Name] = true
	}
	out := s.Clone()
	for _, f := range s {
		for dir := path.Dir(f.Name); dir != "." && !have[dir]; dir = path.Dir(dir) {
			have[dir] = true
			d, ok := all.Lookup(dir)
			if !ok {
				d = File{Name: dir, Mode: fs.ModeDir | 0o755}
			}
			out = append(out, d)
		}
	}
	out.Sort()
	return out
}

// CopyTo copies f's content (the regular file at f.Src) to the new file
// dst with permission bits perm, which the umask does not narrow.
func (f File) CopyTo(dst string, perm fs.FileMode) error {
	in, err := os.Open(f.Src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, perm)
}
