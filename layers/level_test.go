package layers

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// goldenLevels are the digests of the fixture's layer at each level. They
// pin the encoders: a change of library version or setting that moves
// them changes users' digests (and must bump the build cache version).
// The default level has the digest of today's gzip and zstd layers. The
// fixture is under 8 MiB, so level 22's window shrinks to 19's and the
// two give the same bytes.
var goldenLevels = map[string]string{
	"gzip/0":  "070250f3f04656b763b7430484a2ab9bf11da78a90dd6c7b8b73cad2e24e6b08",
	"gzip/1":  "7c493726677f56b88eff2bac00530a9f0a0d963ca4b9d87a663e4534d6dab323",
	"gzip/9":  "b720d43db7179fa0f9332695fe0a8bab9065111c94b1cb999ce03c55b0763a5e",
	"zstd/0":  "0519f080afd18352d0749c33cf5a92b79ef478dc42f3c67a2a5615acdc855de7",
	"zstd/3":  "d851e771320a69b8518670a3a2543fac9ebe262e89390df0902262dbd87928de",
	"zstd/7":  "6f89cd089e69342a2977904d358473ce64592e6251016a5f078c27418b18bfdc",
	"zstd/19": "c7e5ecef837f323dd61425c793de9bb0a707a7ed24bf508eef306a54290890d3",
	"zstd/22": "c7e5ecef837f323dd61425c793de9bb0a707a7ed24bf508eef306a54290890d3",
}

func TestLevelsDeterministic(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := fixture(t)
	dir := t.TempDir()
	for _, c := range []Compression{Gzip, Zstd} {
		lo, hi := c.levels()
		for _, level := range []int{DefaultLevel, lo, 3, 7, hi - 3, hi} {
			key := fmt.Sprintf("%s/%d", c, level)
			want, ok := goldenLevels[key]
			if !ok {
				continue
			}
			t.Run(key, func(t *testing.T) {
				var digests []string
				// Same bytes whatever GOMAXPROCS, read-ahead and input order.
				for i, procs := range []int{1, 4} {
					prev := runtime.GOMAXPROCS(procs)
					in := entries
					if i == 1 {
						in = make([]Entry, len(entries))
						for j, e := range entries {
							in[len(entries)-1-j] = e
						}
					}
					l, err := Write(context.Background(), filepath.Join(dir, fmt.Sprintf("%s-%d-%d", c, level, i)), in,
						WithCompression(c), WithCompressionLevel(level), WithMTime(mtime), WithReadAhead(i*8))
					runtime.GOMAXPROCS(prev)
					if err != nil {
						t.Fatal(err)
					}
					digests = append(digests, l.Digest.Hex)
					lv, err := l.V1()
					if err != nil {
						t.Fatal(err)
					}
					checkTar(t, lv, mtime)
				}
				if digests[0] != digests[1] {
					t.Errorf("Write(%s) = %s with GOMAXPROCS 1, %s with 4", key, digests[0], digests[1])
				}
				if digests[0] != want {
					t.Errorf("Write(%s) = %s, want %s (goldenLevels)", key, digests[0], want)
				}
			})
		}
	}
}

// TestDefaultLevel: the default level is today's setting, so naming it
// gives the same bytes, and every other level gives other bytes.
func TestDefaultLevel(t *testing.T) {
	entries := fixture(t)
	dir := t.TempDir()
	write := func(c Compression, level int) string {
		t.Helper()
		l, err := Write(context.Background(), filepath.Join(dir, fmt.Sprintf("%s-%d", c, level)), entries, WithCompression(c), WithCompressionLevel(level))
		if err != nil {
			t.Fatal(err)
		}
		return l.Digest.Hex
	}
	for _, tc := range []struct {
		c        Compression
		same     int
		differ   []int
		settings string
	}{
		{Gzip, GzipLevel, []int{1, 9}, Gzip.Settings()},
		{Zstd, 1, []int{3, 7, 19}, Zstd.Settings()},
	} {
		def := write(tc.c, DefaultLevel)
		if got := write(tc.c, tc.same); got != def {
			t.Errorf("%s level %d = %s, want the default's %s", tc.c, tc.same, got, def)
		}
		if got := tc.c.SettingsLevel(DefaultLevel); got != tc.settings {
			t.Errorf("%s.SettingsLevel(default) = %q, want Settings() %q", tc.c, got, tc.settings)
		}
		seen := map[string]int{def: DefaultLevel}
		for _, level := range tc.differ {
			d := write(tc.c, level)
			if prev, ok := seen[d]; ok {
				t.Errorf("%s level %d = %s, same as level %d", tc.c, level, d, prev)
			}
			seen[d] = level
			if tc.c.SettingsLevel(level) == tc.c.Settings() {
				t.Errorf("%s.SettingsLevel(%d) = Settings(), want a different cache key", tc.c, level)
			}
		}
	}
}

// TestZstdWindow: ultra levels widen the window up to 128 MiB, never past
// what the layer needs, and the blob's frame header says so; a decoder
// held to libzstd's default limit reads it.
func TestZstdWindow(t *testing.T) {
	for _, tc := range []struct {
		level int
		size  int64
		want  int // 0: encoder default
	}{
		{1, 1 << 30, 0},
		{19, 1 << 30, 0},
		{20, 1 << 30, 32 << 20},
		{21, 1 << 30, 64 << 20},
		{22, 1 << 30, 128 << 20},
		{22, 112 << 20, 128 << 20},
		{22, 64<<20 + 1, 128 << 20},
		{22, 64 << 20, 64 << 20},
		{22, 9 << 20, 16 << 20},
		{22, 1000, 8 << 20},
		{20, 1000, 8 << 20},
	} {
		if got := zstdLevel(tc.level, tc.size).window; got != tc.want {
			t.Errorf("zstdLevel(%d, %d).window = %d, want %d", tc.level, tc.size, got, tc.want)
		}
	}

	// A layer bigger than 8 MiB at level 22: a 16 MiB window, in the header.
	dir := t.TempDir()
	src := filepath.Join(dir, "big")
	content := strings.Repeat("0123456789abcdef", 10<<16) // 10 MiB
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Write(context.Background(), filepath.Join(dir, "layer"), []Entry{{Name: "big", Mode: 0o644, Src: src, Size: int64(len(content))}},
		WithCompression(Zstd), WithCompressionLevel(ZstdMaxLevel))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(l.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h zstd.Header
	head := make([]byte, zstd.HeaderMaxSize)
	n, _ := io.ReadFull(f, head)
	if err := h.Decode(head[:n]); err != nil {
		t.Fatal(err)
	}
	if h.WindowSize != 16<<20 {
		t.Errorf("level 22 frame window = %d, want %d", h.WindowSize, 16<<20)
	}
	f.Seek(0, io.SeekStart)
	dec, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(1<<27))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	if m, err := io.Copy(io.Discard, dec); err != nil || m != l.UncompressedSize {
		t.Errorf("decoding with a 128 MiB window limit = %d bytes, %v; want %d", m, err, l.UncompressedSize)
	}
}

func TestLevelErrors(t *testing.T) {
	for _, tc := range []struct {
		c     Compression
		level int
		err   string
	}{
		{Gzip, DefaultLevel, ""},
		{Gzip, 9, ""},
		{Gzip, 1, ""},
		{Gzip, 10, "want 1 to 9"},
		{Gzip, 22, "want 1 to 9"},
		{Zstd, DefaultLevel, ""},
		{Zstd, 22, ""},
		{Zstd, 23, "want 1 to 22"},
		{Zstd, -1, "want 1 to 22"},
		{"lz4", 1, "want gzip or zstd"},
	} {
		err := tc.c.CheckLevel(tc.level)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s.CheckLevel(%d) = %v, want nil", tc.c, tc.level, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s.CheckLevel(%d) = %v, want error containing %q", tc.c, tc.level, err, tc.err)
		}
	}
	// Write checks the level against the compression, in any option order.
	dst := filepath.Join(t.TempDir(), "layer")
	if _, err := Write(context.Background(), dst, fixture(t), WithCompressionLevel(22), WithCompression(Gzip)); err == nil || !strings.Contains(err.Error(), "want 1 to 9") {
		t.Errorf("Write(gzip level 22) = %v, want a level error", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Errorf("Write with a bad level left %s", dst)
	}
	if _, err := Write(context.Background(), dst, fixture(t), WithCompressionLevel(-1)); err == nil {
		t.Error("Write(level -1) = nil error")
	}
}

// TestEntryModeAndTime: special mode bits reach the tar header, and an
// entry's own time wins over the layer's.
func TestEntryModeAndTime(t *testing.T) {
	layerTime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	own := time.Date(2035, 6, 7, 8, 9, 10, 999, time.UTC)
	entries := []Entry{
		{Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Name: "cache", Mode: fs.ModeDir | fs.ModeSticky | 0o777, ModTime: own},
		{Name: "cache/x", Mode: fs.ModeSetgid | 0o755},
	}
	l, err := Write(context.Background(), filepath.Join(t.TempDir(), "layer"), entries, WithMTime(layerTime))
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := l.V1()
	rc, err := lv.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := map[string]struct {
		mode int64
		time time.Time
	}{
		"cache/":  {0o1777, own.Truncate(time.Second)},
		"cache/x": {0o2755, layerTime},
		"tmp/":    {0o1777, layerTime},
	}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		w := want[h.Name]
		if h.Mode != w.mode || !h.ModTime.Equal(w.time) {
			t.Errorf("%s: mode %o time %v, want %o %v", h.Name, h.Mode, h.ModTime, w.mode, w.time)
		}
		delete(want, h.Name)
	}
	if len(want) > 0 {
		t.Errorf("entries missing from the layer: %v", want)
	}
	if _, err := Write(context.Background(), filepath.Join(t.TempDir(), "bad"), []Entry{{Name: "x", Mode: 0o644, ModTime: time.Unix(-1, 0)}}); err == nil {
		t.Error("Write(entry before 1970) = nil error")
	}
}
