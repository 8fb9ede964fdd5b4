package layers

import (
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// DefaultLevel asks for a compression's pinned default level: GzipLevel
// (5) for gzip, 1 for zstd (ZstdLevel, "fastest"). Layers written at the
// default level keep the digests they had before levels could be chosen.
const DefaultLevel = 0

// Levels are named as BuildKit's compression-level and the zstd and gzip
// command lines name them.
const (
	// GzipMinLevel and GzipMaxLevel bound the gzip levels (gzip -1 .. -9).
	GzipMinLevel, GzipMaxLevel = 1, 9
	// ZstdMinLevel and ZstdMaxLevel bound the zstd levels (zstd -1 ..
	// --ultra -22).
	ZstdMinLevel, ZstdMaxLevel = 1, 22
	// ZstdMaxWindow is the largest zstd window any level uses: 128 MiB, the
	// default limit of libzstd's streaming decoder (ZSTD_WINDOWLOG_LIMIT_DEFAULT
	// 27). The Go decoder that containerd, Docker and podman use
	// (klauspost/compress) accepts up to 512 MiB by default.
	ZstdMaxWindow = 128 << 20
)

// zstdParams is what one zstd level means to the klauspost encoder.
type zstdParams struct {
	level  zstd.EncoderLevel
	window int // 0: the encoder's own default for level
}

// zstdLevel maps a zstd command-line level onto the klauspost encoder.
// Levels 1..19 follow zstd.EncoderLevelFromZstd, the mapping BuildKit and
// containers/image use for their compression levels (1-2 fastest, 3-5
// default, 6-9 better, 10-19 best), at the encoder's default window
// (4 MiB for fastest, 8 MiB otherwise). Levels 20-22 are zstd's --ultra
// levels: like libzstd they keep the best strategy and widen the window,
// to at most 32, 64 and 128 MiB, so that at 22 one window covers a whole
// toolchain layer. An ultra window is no larger than the layer needs
// (size, the tar stream's length as planned, rounded up to a power of two,
// at least 8 MiB): the encoder allocates twice its window whatever the
// input, and a decoder may reserve the whole window.
func zstdLevel(level int, size int64) zstdParams {
	switch {
	case level == DefaultLevel:
		return zstdParams{level: ZstdLevel}
	case level >= 20:
		w := ZstdMaxWindow >> (ZstdMaxLevel - level)
		for w > 8<<20 && int64(w/2) >= size {
			w /= 2
		}
		return zstdParams{level: zstd.SpeedBestCompression, window: w}
	}
	return zstdParams{level: zstd.EncoderLevelFromZstd(level)}
}

// CheckLevel reports whether level is a level of c: gzip 1-9, zstd 1-22.
// DefaultLevel always is. It is the one rule for levels: imagespec.Spec's
// Validate applies it to every front end's spec, and Write to its options.
func (c Compression) CheckLevel(level int) error {
	if level == DefaultLevel {
		return nil
	}
	lo, hi := c.levels()
	if lo == 0 {
		return fmt.Errorf("compression %q: want gzip or zstd", c)
	}
	if level < lo || level > hi {
		return fmt.Errorf("%s compression level %d: want %d to %d", c, level, lo, hi)
	}
	return nil
}

func (c Compression) levels() (lo, hi int) {
	switch c {
	case Gzip:
		return GzipMinLevel, GzipMaxLevel
	case Zstd:
		return ZstdMinLevel, ZstdMaxLevel
	}
	return 0, 0
}

// SettingsLevel describes the pinned compressor settings of c at level,
// for cache keys. At the default level it is Settings().
func (c Compression) SettingsLevel(level int) string {
	switch {
	case level == DefaultLevel, c == Gzip && level == GzipLevel:
		return c.Settings()
	case c == Gzip:
		return fmt.Sprintf("pgzip level=%d block=%d blocks=%d", level, GzipBlockSize, GzipBlocks)
	case c == Zstd:
		p := zstdLevel(level, ZstdMaxWindow)
		return fmt.Sprintf("zstd level=%d encoder=%d max-window=%d concurrency=%d", level, p.level, p.window, ZstdConcurrency)
	}
	return string(c)
}

// WithCompressionLevel sets the compression level (default DefaultLevel):
// gzip 1..9, zstd 1..22 (see CheckLevel). It is checked against the
// compression when Write starts, so the order of options does not matter.
func WithCompressionLevel(level int) Option {
	return func(o *options) error {
		if level < 0 {
			return fmt.Errorf("compression level %d: want 0 (the default) or more", level)
		}
		o.level = level
		return nil
	}
}

// newLevelWriter returns c's compressor at level for a tar stream of about
// size bytes.
func (c Compression) newLevelWriter(w io.Writer, level int, size int64) (io.WriteCloser, error) {
	if err := c.CheckLevel(level); err != nil {
		return nil, err
	}
	switch c {
	case Gzip:
		if level == DefaultLevel {
			level = GzipLevel
		}
		z, err := pgzip.NewWriterLevel(w, level)
		if err != nil {
			return nil, err
		}
		if err := z.SetConcurrency(GzipBlockSize, GzipBlocks); err != nil {
			return nil, err
		}
		// pgzip writes ModTime.Unix() into the header; the Unix epoch gives
		// the "no time" value 0 that stdlib gzip writes.
		z.ModTime = time.Unix(0, 0)
		z.OS = 255
		return z, nil
	case Zstd:
		p := zstdLevel(level, size)
		opts := []zstd.EOption{
			zstd.WithEncoderLevel(p.level),
			zstd.WithEncoderConcurrency(ZstdConcurrency),
			zstd.WithEncoderCRC(true),
			zstd.WithZeroFrames(true),
		}
		if p.window != 0 {
			opts = append(opts, zstd.WithWindowSize(p.window))
		}
		return zstd.NewWriter(w, opts...)
	}
	return nil, fmt.Errorf("compression %q: want gzip or zstd", c)
}

// tarSize is the length of the tar stream Write makes of list, near
// enough to size a window: a header block and the padded content per
// entry, a PAX block for long names, and the two end blocks.
func tarSize(list []Entry) int64 {
	n := int64(1024)
	for _, e := range list {
		n += 512 + (e.Size+511)&^511
		if len(e.Name) >= 100 || len(e.Link) >= 100 {
			n += 1024
		}
	}
	return n
}
