package rootfs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/layers"
)

// Where things are in the image. GOPATH matches the GOPATH the image
// config sets.
const (
	// GOPATH is the image's GOPATH, with bin/ and src/ in it.
	GOPATH = "/go"
	// GOCACHE is the build cache the image's config points at: inside the
	// GOPATH, not below $HOME, so a user without a passwd entry (HOME=/)
	// has one too, and so a later layer can hold a pre-built cache.
	GOCACHE = "/go/.cache/go-build"
	// WorkingDir is the working directory of an image whose base sets none
	// (the official golang image's too).
	WorkingDir = GOPATH
	// CABundlePath is where an image without trust store gets CABundle.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// Version names the rules of Entries. Caches key the layer by the base's
// digest, the CA bundle and Version: change it whenever Entries would give
// another layer for the same base.
const Version = "1"

// anyone is the mode of a directory every user may write to, where each
// user can remove only what they made: /tmp's, and the GOPATH's as the
// official golang image makes it (chmod -R 1777 "$GOPATH").
const anyone = fs.ModeDir | fs.ModeSticky | 0o777

// trustStore lists the files and directories Go's crypto/x509 reads roots
// from on Linux (src/crypto/x509/root_linux.go). A base that has any of
// them has a trust store of its own, and an added bundle would shadow it.
var trustStore = struct{ files, dirs []string }{
	files: []string{
		"etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Alpine
		"etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
		"etc/ssl/ca-bundle.pem",                            // OpenSUSE
		"etc/pki/tls/cacert.pem",                           // OpenELEC
		"etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
		"etc/ssl/cert.pem",                                 // Alpine
	},
	dirs: []string{"etc/ssl/certs", "etc/pki/tls/certs"},
}

// passwd and group name root and nobody, for tools that look up the
// current user (os/user, git, ssh). Root's home is /root.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
	group  = "root:x:0:\nnobody:x:65534:\n"
)

// item is one thing the layer may add.
type item struct {
	name    string
	mode    fs.FileMode
	content func() ([]byte, error) // regular files only
}

// items is everything the layer adds to an empty base, parents first.
func items(base Paths) []item {
	text := func(s string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(s), nil } }
	g := strings.TrimPrefix(GOPATH, "/")
	c := strings.TrimPrefix(GOCACHE, "/")
	out := []item{
		{name: "tmp", mode: anyone},
		{name: g, mode: anyone},
		{name: g + "/bin", mode: anyone},
		{name: g + "/src", mode: anyone},
		{name: path.Dir(c), mode: anyone},
		{name: c, mode: anyone},
	}
	if !hasTrustStore(base) {
		out = append(out, item{name: strings.TrimPrefix(CABundlePath, "/"), mode: 0o644, content: func() ([]byte, error) {
			b, err := CABundle()
			if err != nil {
				return nil, err
			}
			return b.PEM, nil
		}})
	}
	if _, ok := base.Lookup("etc/passwd"); !ok {
		out = append(out, item{name: "etc/passwd", mode: 0o644, content: text(passwd)},
			item{name: "root", mode: fs.ModeDir | 0o700})
	}
	out = append(out, item{name: "etc/group", mode: 0o644, content: text(group)})
	return out
}

func hasTrustStore(base Paths) bool {
	for _, f := range trustStore.files {
		if _, ok := base.Lookup(f); ok {
			return true
		}
	}
	for _, d := range trustStore.dirs {
		if base.hasUnder(d) {
			return true
		}
	}
	return false
}

// File is one entry of the file system layer: a directory, or a regular
// file with its content. Owners are 0:0 except a base parent's, which
// keeps the base's (also root: parentsUsable requires it).
type File struct {
	// Name is a slash path without a leading slash ("etc/passwd").
	Name string
	// Mode holds the type bit (fs.ModeDir or none), the permission bits
	// and fs.ModeSticky.
	Mode fs.FileMode
	// Data is a regular file's content.
	Data []byte
	// UID and GID are the owner.
	UID, GID int
}

// Files returns the layer's entries on top of a base with the given paths
// (the zero Paths for scratch), parents before their children. Every
// writer of the layer (Entries for a tar, llbgen for BuildKit) starts
// from it, so they all follow the same rules.
//
// A path the base has is never written. An item below a base path that
// is not a directory owned by root (a symlink, say) is left out, since
// writing it would change what the base has there. Parent directories the
// base has are listed again with the base's mode and owner (root, as
// parentsUsable requires), so only their modification time changes;
// missing ones are not listed (a writer makes them 0755).
func Files(base Paths) ([]File, error) {
	var out []File
	emitted := map[string]bool{}
	for _, it := range items(base) {
		if _, ok := base.Lookup(it.name); ok || !parentsUsable(base, it.name) {
			continue
		}
		for p := path.Dir(it.name); p != "."; p = path.Dir(p) {
			if i, ok := base.Lookup(p); ok && !emitted[p] {
				emitted[p] = true
				out = append(out, File{Name: p, Mode: i.Mode & (fs.ModeDir | fs.ModePerm | fs.ModeSticky | fs.ModeSetgid | fs.ModeSetuid), UID: i.UID, GID: i.GID})
			}
		}
		f := File{Name: it.name, Mode: it.mode}
		if it.content != nil {
			b, err := it.content()
			if err != nil {
				return nil, err
			}
			f.Data = b
		}
		emitted[it.name] = true
		out = append(out, f)
	}
	return out, nil
}

// ImageFiles is Files for the paths of img, or of scratch when img is nil.
func ImageFiles(img v1.Image) ([]File, error) {
	var paths Paths
	if img != nil {
		var err error
		if paths, err = ImagePaths(img); err != nil {
			return nil, err
		}
	}
	return Files(paths)
}

// Entries returns Files(base) as layer entries, writing file contents
// into dir.
func Entries(base Paths, dir string) ([]layers.Entry, error) {
	files, err := Files(base)
	if err != nil {
		return nil, err
	}
	out := make([]layers.Entry, 0, len(files))
	for _, f := range files {
		e := layers.Entry{Name: f.Name, Mode: f.Mode, UID: f.UID, GID: f.GID}
		if !f.Mode.IsDir() {
			e.Src = filepath.Join(dir, strings.ReplaceAll(f.Name, "/", "_"))
			if err := os.WriteFile(e.Src, f.Data, 0o644); err != nil {
				return nil, fmt.Errorf("writing %s for the file system layer: %w", f.Name, err)
			}
			e.Size = int64(len(f.Data))
		}
		out = append(out, e)
	}
	return out, nil
}

// parentsUsable reports whether every parent of name that the base has is
// a directory owned by root.
func parentsUsable(base Paths, name string) bool {
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if i, ok := base.Lookup(p); ok && (!i.Mode.IsDir() || i.UID != 0 || i.GID != 0) {
			return false
		}
	}
	return true
}

// Write writes the file system layer for base (nil for scratch) to a blob
// in dir, with opts passed to layers.Write (compression, mtime). It returns
// nil, and no error, when the base already has everything.
func Write(ctx context.Context, base v1.Image, dir string, opts ...layers.Option) (*layers.Layer, error) {
	var paths Paths
	if base != nil {
		var err error
		if paths, err = ImagePaths(base); err != nil {
			return nil, err
		}
	}
	entries, err := Entries(paths, dir)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, nil
	}
	l, err := layers.Write(ctx, filepath.Join(dir, "rootfs.layer"), entries, opts...)
	if err != nil {
		return nil, fmt.Errorf("writing the file system layer: %w", err)
	}
	return l, nil
}

// Configure sets what the layer promises in an image config: GOCACHE
// (replacing any the base sets) and, when the base sets none, the
// working directory.
func Configure(cfg *v1.ConfigFile) {
	env := cfg.Config.Env[:0:0]
	for _, kv := range cfg.Config.Env {
		if k, _, _ := strings.Cut(kv, "="); k != "GOCACHE" {
			env = append(env, kv)
		}
	}
	cfg.Config.Env = append(env, "GOCACHE="+GOCACHE)
	if cfg.Config.WorkingDir == "" {
		cfg.Config.WorkingDir = WorkingDir
	}
}
