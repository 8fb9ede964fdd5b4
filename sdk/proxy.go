package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
)

// toolchainModule is the module the Go project publishes every release as.
const toolchainModule = "golang.org/toolchain"

// proxyEntry is one element of GOPROXY. fallThrough is true when the
// separator after it is "|" (try the next entry after any error) rather
// than "," (only after 404 or 410).
type proxyEntry struct {
	url         string // a proxy URL, "direct" or "off"
	fallThrough bool
}

// parseGOPROXY splits GOPROXY the way the go command does.
func parseGOPROXY(s string) ([]proxyEntry, error) {
	var out []proxyEntry
	for s != "" {
		var e proxyEntry
		i := strings.IndexAny(s, ",|")
		if i < 0 {
			e.url, s = strings.TrimSpace(s), ""
		} else {
			e.url, e.fallThrough, s = strings.TrimSpace(s[:i]), s[i] == '|', s[i+1:]
		}
		if e.url == "" {
			continue
		}
		if e.url != "direct" && e.url != "off" {
			u, err := url.Parse(e.url)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, fmt.Errorf("GOPROXY entry %q: want an http(s) URL, direct or off", e.url)
			}
			e.url = strings.TrimSuffix(e.url, "/")
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("GOPROXY is empty; set GOPROXY (and GOSUMDB) to reach a Go module proxy")
	}
	return out, nil
}

// proxyError is a failed proxy request. It names what was asked for and
// how the proxy answered.
type proxyError struct {
	what   string // "golang.org/toolchain@v0.0.1-go1.22.12.linux-amd64" or "the golang.org/toolchain version list"
	url    string // redacted
	status int    // HTTP status, 0 for a transport error
	err    error
}

func (e *proxyError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("fetching %s: %s: %d %s", e.what, e.url, e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("fetching %s: %s: %v", e.what, e.url, e.err)
}

func (e *proxyError) Unwrap() error { return e.err }

// notFound reports whether the proxy said the thing does not exist, the
// only answers after which a "," separated GOPROXY list moves on.
func (e *proxyError) notFound() bool { return e.status == 404 || e.status == 410 }

// errOff is returned when GOPROXY has no usable entry left.
var errOff = errors.New("module downloads are disabled by GOPROXY=off")

type proxyClient struct {
	entries []proxyEntry
	client  *http.Client
	stall   time.Duration
}

func newProxyClient(opts *Options) (*proxyClient, error) {
	if matchesPattern(opts.GONOPROXY, toolchainModule) || (opts.GONOPROXY == "" && matchesPattern(opts.GOPRIVATE, toolchainModule)) {
		return nil, fmt.Errorf("GONOPROXY/GOPRIVATE match %s, so the go command would fetch it directly from its origin; gorootimg fetches Go releases only through a module proxy", toolchainModule)
	}
	if opts.GOPROXY == "" {
		return nil, errors.New("GOPROXY is not set; set GOPROXY and GOSUMDB (for example to what 'go env GOPROXY GOSUMDB' prints) to download Go releases")
	}
	entries, err := parseGOPROXY(opts.GOPROXY)
	if err != nil {
		return nil, err
	}
	c := opts.HTTPClient
	if c == nil {
		c = defaultHTTPClient()
	}
	stall := opts.StallTimeout
	if stall <= 0 {
		stall = time.Minute
	}
	return &proxyClient{entries: entries, client: c, stall: stall}, nil
}

func matchesPattern(patterns, mod string) bool {
	return patterns != "" && module.MatchPrefixPatterns(patterns, mod)
}

// defaultHTTPClient bounds each phase of a request but not the body: a
// release is 70 MB and the context bounds the whole download.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 30 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

// get fetches path (relative to a proxy's root) through the GOPROXY list
// and writes the body to w, which it truncates before each attempt.
// what names the request in errors.
func (c *proxyClient) get(ctx context.Context, path, what string, w io.WriteSeeker) error {
	var firstErr error
	for i, e := range c.entries {
		switch e.url {
		case "off":
			if firstErr != nil {
				return firstErr
			}
			return errOff
		case "direct":
			if firstErr != nil {
				return firstErr
			}
			return fmt.Errorf("fetching %s: GOPROXY reached %q; gorootimg does not fetch %s from its origin, only through a module proxy", what, "direct", toolchainModule)
		}
		err := c.getOne(ctx, e.url+"/"+path, what, w)
		if err == nil {
			return nil
		}
		if firstErr == nil || isNotFound(firstErr) && !isNotFound(err) {
			firstErr = err
		}
		var pe *proxyError
		more := i+1 < len(c.entries)
		if !more || ctx.Err() != nil {
			break
		}
		if e.fallThrough || errors.As(err, &pe) && pe.notFound() {
			continue
		}
		break
	}
	return firstErr
}

func isNotFound(err error) bool {
	var pe *proxyError
	return errors.As(err, &pe) && pe.notFound()
}

func (c *proxyClient) getOne(ctx context.Context, rawURL, what string, w io.WriteSeeker) error {
	u, _ := url.Parse(rawURL)
	red := u.Redacted()
	// A response that stops delivering data is abandoned after c.stall.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	timer := time.AfterFunc(c.stall, func() { stalled.Store(true); cancel() })
	defer timer.Stop()
	req, err := http.NewRequestWithContext(ctx, "GET", rawURL, nil)
	if err != nil {
		return &proxyError{what: what, url: red, err: err}
	}
	resp, err := c.client.Do(req)
	if err != nil && stalled.Load() {
		return &proxyError{what: what, url: red, err: fmt.Errorf("no response for %v; giving up", c.stall)}
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &proxyError{what: what, url: red, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return &proxyError{what: what, url: red, status: resp.StatusCode}
	}
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok {
		if err := f.Truncate(0); err != nil {
			return err
		}
	} else if b, ok := w.(*memBuffer); ok {
		b.buf = b.buf[:0]
	}
	n, err := io.Copy(w, &stallReader{r: resp.Body, timer: timer, d: c.stall})
	if err != nil && stalled.Load() {
		return &proxyError{what: what, url: red, err: fmt.Errorf("no data for %v after %d bytes; giving up", c.stall, n)}
	}
	if err != nil {
		return &proxyError{what: what, url: red, err: fmt.Errorf("reading the response after %d bytes: %w", n, err)}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return &proxyError{what: what, url: red, err: fmt.Errorf("truncated response: got %d of %d bytes", n, resp.ContentLength)}
	}
	return nil
}

// getBytes fetches a small file through the GOPROXY list.
func (c *proxyClient) getBytes(ctx context.Context, path, what string) ([]byte, error) {
	var b memBuffer
	if err := c.get(ctx, path, what, &b); err != nil {
		return nil, err
	}
	return b.buf, nil
}

// memBuffer is an in-memory io.WriteSeeker.
type memBuffer struct {
	buf []byte
	off int
}

func (b *memBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf[:b.off], p...)
	b.off = len(b.buf)
	return len(p), nil
}

func (b *memBuffer) Seek(off int64, whence int) (int64, error) {
	if off != 0 || whence != io.SeekStart {
		return 0, errors.New("memBuffer: only Seek(0, io.SeekStart)")
	}
	b.off = 0
	return 0, nil
}

// modPath returns the escaped proxy path prefix of the toolchain module.
func modPath() string {
	p, _ := module.EscapePath(toolchainModule)
	return p
}

// stallReader restarts timer whenever data arrives.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}
