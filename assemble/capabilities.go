package assemble

import (
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/internal/layerstore"
	"github.com/gorootimg/gorootimg/rootfs"
)

// Capabilities says what an image can run, measured from the base's files
// (never assumed from its name): each tool is the first path found in the
// standard command directories, or empty.
type Capabilities struct {
	// Shell is sh, which script steps (GitLab CI, GitHub Actions container
	// jobs, Tekton script:) run through.
	Shell string `json:"shell"`
	// CC is a C compiler (gcc, clang, cc): cgo and go test -race need one.
	CC string `json:"cc"`
	// Git stamps VCS information and fetches private modules.
	Git string `json:"git"`
	// ReadOnlyRoot is true when the image keeps working, warm cache
	// included, on a read-only root with a writable /tmp: it carries the
	// go front (any Go release; Linux images).
	ReadOnlyRoot bool `json:"readOnlyRoot"`
	// Notes say why a capability is missing where that is not obvious.
	Notes []string `json:"notes,omitempty"`
}

// commandDirs are where a tool is looked for, in PATH order.
var commandDirs = []string{"usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"}

// Label is the value of imageconfig.LabelCapabilities: the present
// capabilities, comma-separated (shell,cc,git,read-only-root), or "none".
func (c Capabilities) Label() string {
	var l []string
	for _, kv := range []struct {
		name string
		ok   bool
	}{{"shell", c.Shell != ""}, {"cc", c.CC != ""}, {"git", c.Git != ""}, {"read-only-root", c.ReadOnlyRoot}} {
		if kv.ok {
			l = append(l, kv.name)
		}
	}
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ",")
}

// String is a one-line summary for the text report.
func (c Capabilities) String() string {
	or := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	ro := "no"
	if c.ReadOnlyRoot {
		ro = "yes"
	}
	return fmt.Sprintf("shell %s, C compiler %s, git %s, read-only root %s", or(c.Shell), or(c.CC), or(c.Git), ro)
}

// measureTools fills in Shell, CC and Git from base's files (nil for
// scratch), recorded in the store by the base's digest so that a base's
// layers are read once.
func measureTools(st *store, base v1.Image) (Capabilities, error) {
	var c Capabilities
	if base == nil {
		return c, nil
	}
	d, err := base.Digest()
	if err != nil {
		return c, fmt.Errorf("reading base image digest: %w", err)
	}
	key := layerstore.HashLines(cacheVersion, "capabilities 1", "base "+d.String())
	if ok, err := st.GetRecord(layerstore.Layers, key, &c); ok && err == nil {
		return c, nil
	}
	paths, err := rootfs.ImagePaths(base)
	if err != nil {
		return c, err
	}
	c = MeasureTools(paths)
	return c, st.PutRecord(layerstore.Layers, key, c)
}

// MeasureTools fills in Shell, CC and Git from the base's files (the zero
// Paths for scratch): what gorootimg build records for an image, for
// gorootimg llb, which reads the base's layers once for this and for its
// file system layer.
func MeasureTools(base rootfs.Paths) Capabilities {
	return Capabilities{
		Shell: findTool(base, "sh"),
		CC:    findTool(base, "gcc", "clang", "cc"),
		Git:   findTool(base, "git"),
	}
}

// findTool returns the first of names in commandDirs that paths has
// ("/usr/bin/gcc"), or "".
func findTool(paths rootfs.Paths, names ...string) string {
	for _, n := range names {
		for _, d := range commandDirs {
			if i, ok := paths.Lookup(path.Join(d, n)); ok && !i.Mode.IsDir() {
				return "/" + path.Join(d, n)
			}
		}
	}
	return ""
}
