// Package warmcache fills a Go build cache with an image's own toolchain,
// inside the image's own root file system (internal/sandbox), and returns
// it as deterministic layer entries (layers.Entry) at the image's GOCACHE,
// so that the first go build in a fresh container compiles none of the
// standard library. docs/warm-cache.md says what is in the cache and why
// its entries survive the go command's trimming. WarmImage does it for a
// v1.Image, after CheckHost has said this host can run the image's go
// command (as root, natively or through a binfmt_misc handler).
package warmcache
