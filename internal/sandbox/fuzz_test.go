package sandbox

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tarOf writes entries (name, type, link target, body) as a tar stream.
func tarOf(tb testing.TB, entries ...[4]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e[0], Typeflag: e[1][0], Linkname: e[2], Mode: 0o644, ModTime: time.Unix(0, 0)}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e[3]))
		}
		if err := tw.WriteHeader(h); err != nil {
			tb.Fatal(err)
		}
		tw.Write([]byte(e[3]))
	}
	tw.Close()
	return b.Bytes()
}

// FuzzUntar unpacks an arbitrary flattened image file system: whatever
// the entries, nothing may appear outside the destination (Untar writes
// through an os.Root).
func FuzzUntar(f *testing.F) {
	reg, dir, sym, hard := string(tar.TypeReg), string(tar.TypeDir), string(tar.TypeSymlink), string(tar.TypeLink)
	f.Add(tarOf(f, [4]string{"usr/", dir, "", ""}, [4]string{"usr/local/go/bin/go", reg, "", "#!/bin/sh\n"}))
	f.Add(tarOf(f, [4]string{"../../escape", reg, "", "x"}))
	f.Add(tarOf(f, [4]string{"/abs/escape", reg, "", "x"}))
	f.Add(tarOf(f, [4]string{"up", sym, "../../..", ""}, [4]string{"up/escape", reg, "", "x"}))
	f.Add(tarOf(f, [4]string{"root", sym, "/", ""}, [4]string{"root/tmp/escape", reg, "", "x"}))
	f.Add(tarOf(f, [4]string{"etc/passwd", reg, "", "root"}, [4]string{"h", hard, "../../../etc/passwd", ""}))
	f.Add(tarOf(f, [4]string{"a", sym, "b", ""}, [4]string{"b", sym, "a", ""}, [4]string{"a/x", reg, "", "x"}))
	f.Add(tarOf(f, [4]string{"d", dir, "", ""}, [4]string{"d", reg, "", "file over dir"}, [4]string{"d/x", reg, "", "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		top := t.TempDir()
		dst := filepath.Join(top, "rootfs")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		Untar(ctx, bytes.NewReader(data), dst)
		ents, _ := os.ReadDir(top)
		for _, e := range ents {
			if e.Name() != "rootfs" {
				t.Errorf("Untar created %s outside the destination", filepath.Join(top, e.Name()))
			}
		}
	})
}
