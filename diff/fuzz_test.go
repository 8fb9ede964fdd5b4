package diff

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"time"
)

func fuzzTar(tb testing.TB, entries ...[4]string) []byte {
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

// FuzzScanLayers scans two arbitrary layers and lays them over each other
// as diff does. No panic, and no byte is lost or counted twice: the bytes
// of the files in the final view plus the bytes shadowed by later layers
// and whiteouts are the bytes of every file entry scanned.
func FuzzScanLayers(f *testing.F) {
	reg, dir, sym, hard := string(tar.TypeReg), string(tar.TypeDir), string(tar.TypeSymlink), string(tar.TypeLink)
	base := fuzzTar(f, [4]string{"usr/local/go/", dir, "", ""}, [4]string{"usr/local/go/bin/go", reg, "", "go binary"},
		[4]string{"usr/local/go/src/a.go", reg, "", "package a"}, [4]string{"usr/local/go/bin/gofmt", hard, "usr/local/go/bin/go", ""})
	f.Add(base, fuzzTar(f, [4]string{"usr/local/go/bin/.wh.go", reg, "", ""}))
	f.Add(base, fuzzTar(f, [4]string{"usr/local/go/.wh..wh..opq", reg, "", ""}, [4]string{"usr/local/go/x", reg, "", "new"}))
	f.Add(base, fuzzTar(f, [4]string{"usr/local/go/src", reg, "", "a file over a directory"}))
	f.Add(base, fuzzTar(f, [4]string{"usr/local/go/bin/go", reg, "", "v1"}, [4]string{"usr/local/go/bin/go", reg, "", "v2 in the same layer"}))
	f.Add(base, fuzzTar(f, [4]string{"./usr/../usr/local/go/l", sym, "/etc", ""}, [4]string{"/.wh.usr", reg, "", ""}))
	f.Fuzz(func(t *testing.T, l1, l2 []byte) {
		ctx := context.Background()
		v := newView()
		var total int64
		for _, l := range [][]byte{l1, l2} {
			ls, err := scanTar(ctx, bytes.NewReader(l))
			if err != nil {
				return
			}
			for _, e := range ls.entries {
				if !e.whiteout && !e.opaque {
					total += e.size
				}
			}
			v.apply(ls)
		}
		var kept int64
		for _, e := range v.files {
			kept += e.size
		}
		if kept+v.shadowed != total {
			t.Errorf("view keeps %d bytes and shadows %d, but the layers hold %d", kept, v.shadowed, total)
		}
	})
}
