//go:build unix

package warmcache

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/layers"
)

// TestMakeParentsOwner builds the warm layer's parent entries against a
// fake base like Dockerfile.base's, whose /go belongs to gopher (1000:1000)
// and has no .cache: /go keeps its owner and mode in the entries and in the
// written tar, and the missing /go/.cache is root's.
func TestMakeParentsOwner(t *testing.T) {
	uid, gid := 1000, 1000
	if os.Geteuid() != 0 {
		uid, gid = os.Getuid(), os.Getgid() // the files are ours; still not root
		if uid == 0 {
			t.Skip("skipping: cannot make a file owned by someone else")
		}
	}
	root := t.TempDir()
	gopath := filepath.Join(root, "go")
	if err := os.Mkdir(gopath, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(gopath, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	got, err := makeParents(root, "/go/.cache/go-build")
	if err != nil {
		t.Fatalf("makeParents = %v", err)
	}
	want := []layers.Entry{
		{Name: "go", Mode: fs.ModeDir | 0o755, UID: uid, GID: gid},
		{Name: "go/.cache", Mode: fs.ModeDir | 0o755},
	}
	if len(got) != len(want) {
		t.Fatalf("makeParents = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("makeParents entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	l, err := layers.Write(context.Background(), filepath.Join(t.TempDir(), "layer"), got, layers.WithMTime(time.Unix(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(l.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	owners := map[string][2]int{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		owners[h.Name] = [2]int{h.Uid, h.Gid}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q:%q, want none", h.Name, h.Uname, h.Gname)
		}
	}
	if o := owners["go/"]; o != [2]int{uid, gid} {
		t.Errorf("layer's go/ owner = %v, want %d:%d", o, uid, gid)
	}
	if o := owners["go/.cache/"]; o != [2]int{0, 0} {
		t.Errorf("layer's go/.cache/ owner = %v, want 0:0", o)
	}
}
