package layers

import (
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// Compression names a layer compression.
type Compression string

// The supported compressions. Gzip is the default: every runtime reads it.
const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

// Pinned compressor settings. Changing any of them changes every digest, so
// they are part of the cache key (see Settings).
const (
	// GzipLevel is the pgzip level. Level 5 of klauspost's deflate is about
	// as small as GNU gzip -6 on a GOROOT and much faster.
	GzipLevel = 5
	// GzipBlockSize is the pgzip block size: the stream is cut into blocks
	// of this many bytes, compressed in parallel.
	GzipBlockSize = 1 << 20
	// GzipBlocks is how many blocks pgzip compresses at once. The output
	// does not depend on it, but it is pinned anyway.
	GzipBlocks = 4
	// ZstdLevel is the klauspost zstd encoder level: "fastest" (~ zstd -1).
	// On a GOROOT it is about 40% faster than "default" for a blob ~7%
	// larger, and still smaller than gzip; zstd is the fast choice.
	ZstdLevel = zstd.SpeedFastest
	// ZstdConcurrency is the zstd encoder concurrency. The output does not
	// depend on it (checked for 1, 2 and 4 with compress v1.20.4: the golden
	// digests did not move), but it is pinned so that no future encoder
	// version can make it matter. 1 encodes synchronously: layers are
	// already written in parallel, and it saves the hand-offs.
	ZstdConcurrency = 1
)

// Settings describes the pinned compressor settings of c, for cache keys.
func (c Compression) Settings() string {
	switch c {
	case Gzip:
		return fmt.Sprintf("pgzip level=%d block=%d blocks=%d", GzipLevel, GzipBlockSize, GzipBlocks)
	case Zstd:
		return fmt.Sprintf("zstd level=%d concurrency=%d", ZstdLevel, ZstdConcurrency)
	}
	return string(c)
}

// ParseCompression parses a --compression value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case Gzip, Zstd:
		return c, nil
	}
	return "", fmt.Errorf("compression %q: want gzip or zstd", s)
}

// MediaType is the OCI layer media type for c.
func (c Compression) MediaType() types.MediaType {
	if c == Zstd {
		return types.OCILayerZStd
	}
	return types.OCILayer
}

// Option configures Write.
type Option func(*options) error

type options struct {
	compression Compression
	level       int
	mtime       time.Time
	readAhead   int
	progress    func(int64)
	sync        bool
	digests     bool
	windows     bool
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{compression: Gzip, readAhead: 0}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if err := o.compression.CheckLevel(o.level); err != nil {
		return nil, err
	}
	return o, nil
}

// WithCompression sets the compression (default Gzip).
func WithCompression(c Compression) Option {
	return func(o *options) error {
		if _, err := ParseCompression(string(c)); err != nil {
			return err
		}
		o.compression = c
		return nil
	}
}

// WithMTime sets the modification time of every entry (rounded down to
// the second). The default is the Unix epoch.
func WithMTime(t time.Time) Option {
	return func(o *options) error {
		if !t.IsZero() && t.Before(time.Unix(0, 0)) {
			return fmt.Errorf("layer time %v is before 1970", t)
		}
		o.mtime = t
		return nil
	}
}

// WithReadAhead sets how many files are read ahead of the tar writer on
// goroutines of their own; 0, the default, reads each file when the writer
// needs it, which costs less CPU when the SDK is in the page cache (it
// usually is: it was just downloaded or built). It does not change the
// output.
func WithReadAhead(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("read-ahead %d: want 0 or more", n)
		}
		o.readAhead = n
		return nil
	}
}

// WithProgress calls f after each file with the number of content bytes
// written so far. f runs on Write's goroutine and must be quick.
func WithProgress(f func(done int64)) Option {
	return func(o *options) error {
		o.progress = f
		return nil
	}
}

// WithSync makes Write fsync the blob before renaming it into place, so a
// crash cannot leave a complete-looking but empty blob (default off: use it
// for blobs that outlive the process, such as a cache).
func WithSync(sync bool) Option {
	return func(o *options) error {
		o.sync = sync
		return nil
	}
}

// WithFileDigests makes Write hash each regular file's content (SHA-1 and
// SHA-256) as it goes into the tar stream and list the layer's files in
// Layer.Digests, so that an SBOM needs no second read (default off).
func WithFileDigests(on bool) Option {
	return func(o *options) error {
		o.digests = on
		return nil
	}
}
