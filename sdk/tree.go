package sdk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// tree writes a GOROOT below root from archive or layer entries, refusing
// anything that could write or point outside root. Names are slash paths
// relative to root ("bin/go").
type tree struct {
	root  string
	links map[string]string // symlink name → target
	layer map[string]bool   // names written by the current layer
	// limit is the most file bytes the tree may hold (0 = no limit);
	// written counts them.
	limit, written int64
}

func newTree(root string) *tree {
	return &tree{root: root, links: map[string]string{}, layer: map[string]bool{}}
}

// DefaultMaxSize is the least size limit an SDK tree gets when
// Options.MaxSize is 0; the limit is otherwise derived from the source:
// ten times its compressed size (a Go release unpacks to about four
// times its archive).
const DefaultMaxSize = 1 << 30

// sizeLimit is the limit for a source of compressed bytes.
func sizeLimit(max, compressed int64) int64 {
	if max > 0 {
		return max
	}
	return maxInt64(DefaultMaxSize, 10*compressed)
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// limitWriter fails once the tree's limit is passed.
type limitWriter struct {
	t   *tree
	raw string
	w   io.Writer
}

func (l *limitWriter) Write(p []byte) (int, error) {
	l.t.written += int64(len(p))
	if l.t.limit > 0 && l.t.written > l.t.limit {
		return 0, fmt.Errorf("entry %q: the SDK unpacks to more than the size limit of %d bytes (a decompression bomb?)", l.raw, l.t.limit)
	}
	return l.w.Write(p)
}

// checkName refuses absolute names and ".." components. raw is the name as
// the archive spells it, for the message.
func checkName(raw string) error {
	n := strings.TrimPrefix(raw, "./")
	if path.IsAbs(n) || strings.HasPrefix(raw, "/") {
		return fmt.Errorf("entry %q has an absolute path", raw)
	}
	if strings.Contains(n, "\\") && filepath.Separator == '\\' {
		return fmt.Errorf("entry %q has a backslash", raw)
	}
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return fmt.Errorf("entry %q has a .. component", raw)
		}
	}
	return nil
}

// cleanName turns an archive name into a clean relative slash path; ""
// is the root itself.
func cleanName(raw string) string {
	n := path.Clean("/" + strings.TrimPrefix(raw, "./"))
	return strings.TrimPrefix(n, "/")
}

func (t *tree) abs(name string) string {
	return filepath.Join(t.root, filepath.FromSlash(name))
}

// checkParents refuses an entry whose parent directory is a symlink: the
// write would land wherever the link points.
func (t *tree) checkParents(raw, name string) error {
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := t.links[d]; ok {
			return fmt.Errorf("entry %q lies below symlink %q", raw, d)
		}
	}
	return nil
}

// prepare makes name's parent directories and removes what name replaces.
func (t *tree) prepare(name string) error {
	p := t.abs(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err == nil && !fi.IsDir() {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	delete(t.links, name)
	t.mark(name)
	return nil
}

// replace makes way for a file or symlink at name: a directory there is
// removed with everything below it, then the entry is prepared.
func (t *tree) replace(name string) error {
	p := t.abs(name)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return t.prepare(name)
}

// mark records that the current layer wrote name, and so its parents.
func (t *tree) mark(name string) {
	for n := name; n != "." && n != "" && !t.layer[n]; n = path.Dir(n) {
		t.layer[n] = true
	}
}

func (t *tree) mkdir(raw, name string) error {
	if err := t.checkParents(raw, name); err != nil {
		return err
	}
	p := t.abs(name)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		t.mark(name)
		return nil
	}
	if err := t.prepare(name); err != nil {
		return err
	}
	return os.Mkdir(p, 0o755)
}

func (t *tree) file(raw, name string, mode fs.FileMode, r io.Reader) error {
	if name == "" {
		return fmt.Errorf("entry %q: a file where the GOROOT directory should be", raw)
	}
	if err := t.checkParents(raw, name); err != nil {
		return err
	}
	if err := t.replace(name); err != nil {
		return err
	}
	f, err := os.OpenFile(t.abs(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm()|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(&limitWriter{t: t, raw: raw, w: f}, r); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.Close()
}

func (t *tree) symlink(raw, name, target string) error {
	if name == "" {
		return fmt.Errorf("entry %q: the GOROOT directory itself is a symlink (to %q); point the GOROOT path at the real directory", raw, target)
	}
	if err := t.checkParents(raw, name); err != nil {
		return err
	}
	if path.IsAbs(target) || target == "" {
		return fmt.Errorf("entry %q is a symlink to %q, outside the tree", raw, target)
	}
	if _, err := t.resolve(path.Join(path.Dir(name), "x"), target, 0); err != nil {
		return fmt.Errorf("entry %q is a symlink to %q, outside the tree", raw, target)
	}
	if err := t.replace(name); err != nil {
		return err
	}
	t.links[name] = target
	return os.Symlink(target, t.abs(name))
}

func (t *tree) hardlink(raw, name, target string) error {
	if name == "" {
		return fmt.Errorf("entry %q: a hard link where the GOROOT directory should be", raw)
	}
	if err := t.checkParents(raw, name); err != nil {
		return err
	}
	if err := t.checkParents(raw, target); err != nil {
		return err
	}
	fi, err := os.Lstat(t.abs(target))
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("entry %q is a hard link to %q, which is not a file extracted before it", raw, target)
	}
	if err := t.prepare(name); err != nil {
		return err
	}
	return os.Link(t.abs(target), t.abs(name))
}

// resolve follows target from the directory of from through the symlinks
// in the tree and fails if any step leaves the root.
func (t *tree) resolve(from, target string, depth int) (string, error) {
	if depth > 40 {
		return "", errors.New("too many levels of symlinks")
	}
	cur := path.Dir(from)
	if cur == "." {
		cur = ""
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == "" {
				return "", errors.New("leaves the tree")
			}
			cur = path.Dir(cur)
			if cur == "." {
				cur = ""
			}
			continue
		}
		next := path.Join(cur, c)
		if lt, ok := t.links[next]; ok {
			if path.IsAbs(lt) {
				return "", errors.New("leaves the tree")
			}
			r, err := t.resolve(next, lt, depth+1)
			if err != nil {
				return "", err
			}
			cur = r
			continue
		}
		cur = next
	}
	return cur, nil
}

// checkLinks re-checks every symlink against the final tree: a link that
// was safe when written may not be once later entries replaced a
// directory it passes through with another symlink.
func (t *tree) checkLinks() error {
	names := make([]string, 0, len(t.links))
	for n := range t.links {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := t.resolve(n, t.links[n], 0); err != nil {
			return fmt.Errorf("symlink %q to %q points outside the tree", n, t.links[n])
		}
	}
	return nil
}

// whiteout removes name from the tree unless the current layer wrote it.
func (t *tree) whiteout(name string) error {
	if name == "" {
		return t.opaque("")
	}
	if t.layer[name] {
		return nil
	}
	for l := range t.links {
		if l == name || strings.HasPrefix(l, name+"/") {
			delete(t.links, l)
		}
	}
	return os.RemoveAll(t.abs(name))
}

// opaque removes everything below dir that the current layer did not write.
func (t *tree) opaque(dir string) error {
	entries, err := os.ReadDir(t.abs(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := path.Join(dir, e.Name())
		if t.layer[n] {
			if e.IsDir() {
				if err := t.opaque(n); err != nil {
					return err
				}
			}
			continue
		}
		if err := t.whiteout(n); err != nil {
			return err
		}
	}
	return nil
}

// nextLayer starts a new layer: whiteouts apply to what came before it.
func (t *tree) nextLayer() { t.layer = map[string]bool{} }
