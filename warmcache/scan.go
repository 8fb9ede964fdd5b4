package warmcache

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/gorootimg/gorootimg/layers"
)

// imageFacts is what the choice of warm path needs to know about an
// image's file system, read from its flattened layers without unpacking.
type imageFacts struct {
	env     map[string]string
	version string          // $GOROOT/VERSION's first line
	cc      string          // the C compiler the go command would look for
	hasCC   bool            // cc exists in the image (on PATH, or at its absolute path)
	parents []layers.Entry  // GOCACHE's parent directories (missing: 0755, root)
	notDir  string          // a parent of GOCACHE that is not a directory
	stdDirs map[string]bool // directories below $GOROOT/src with non-test .go files
}

// envMap returns env as a map (last value wins, as exec does not say).
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// scanImage reads img's flattened file system once.
func scanImage(img v1.Image, env []string) (*imageFacts, error) {
	f := &imageFacts{env: envMap(env), stdDirs: map[string]bool{}}
	goroot, gocache := strings.TrimPrefix(f.env["GOROOT"], "/"), f.env["GOCACHE"]
	f.cc = "gcc"
	if fields := strings.Fields(f.env["CC"]); len(fields) > 0 {
		f.cc = fields[0]
	}
	ccPaths := map[string]bool{}
	if path.IsAbs(f.cc) {
		ccPaths[strings.TrimPrefix(path.Clean(f.cc), "/")] = true
	} else {
		for _, d := range strings.Split(f.env["PATH"], ":") {
			if path.IsAbs(d) {
				ccPaths[strings.TrimPrefix(path.Join(d, f.cc), "/")] = true
			}
		}
	}
	dirs := map[string]*tar.Header{}
	var want []string
	for dir := path.Dir(gocache); dir != "/" && dir != "."; dir = path.Dir(dir) {
		want = append([]string{strings.TrimPrefix(dir, "/")}, want...)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the image's file system: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), "/")
		if h.Typeflag != tar.TypeDir && slices.Contains(want, name) {
			f.notDir = "/" + name
		}
		switch {
		case ccPaths[name] && h.Typeflag != tar.TypeDir:
			f.hasCC = true
		case h.Typeflag == tar.TypeDir:
			dirs[name] = h
		case name == goroot+"/VERSION":
			line, _ := bufio.NewReader(tr).ReadString('\n')
			f.version = strings.TrimSpace(line)
		case strings.HasPrefix(name, goroot+"/src/") && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go"):
			f.stdDirs[path.Dir(strings.TrimPrefix(name, goroot+"/src/"))] = true
		}
	}
	for _, dir := range want {
		e := layers.Entry{Name: dir, Mode: fs.ModeDir | 0o755}
		if h, ok := dirs[dir]; ok {
			e.Mode = fs.ModeDir | h.FileInfo().Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid)
			e.UID, e.GID = h.Uid, h.Gid
		}
		f.parents = append(f.parents, e)
	}
	return f, nil
}
