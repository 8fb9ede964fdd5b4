package sdk

import (
	"context"
	"errors"
	"net/http"
)

// Options configures Resolve. Callers (cmd/gorootimg) fill it from the
// environment; this package never reads the environment itself.
type Options struct {
	// CacheDir is the download cache (os.UserCacheDir()/gorootimg by default,
	// GOROOTIMG_CACHE overrides; cmd decides).
	CacheDir string
	// GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE as the go
	// command reads them.
	GOPROXY, GOSUMDB, GONOSUMDB, GOPRIVATE, GONOPROXY, GOINSECURE string
	// SHA256 is the expected checksum of a release archive (--sha256).
	SHA256 string
	// ImageGOROOT is where the SDK lives inside an image ("/usr/local/go").
	ImageGOROOT string
	// HTTPClient is used for the proxy and checksum database; nil = default.
	HTTPClient *http.Client
}

// Resolve returns one normalised SDK per platform for a --go value:
// a release ("1.22.12", "go1.22.12", "1.22"), "local" or a GOROOT
// directory, a release archive (*.tar.gz), "image:REF" or "oci:DIR[:TAG]".
func Resolve(ctx context.Context, spec string, platforms []Platform, opts Options) ([]*SDK, error) {
	return nil, errors.New("sdk.Resolve: not implemented yet")
}
