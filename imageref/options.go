package imageref

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option configures Load.
type Option func(*options) error

type options struct {
	keychain  authn.Keychain
	insecure  bool
	transport http.RoundTripper
	retries   int
	userAgent string
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{keychain: authn.DefaultKeychain, retries: 3}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithKeychain sets where registry credentials come from. The default is
// authn.DefaultKeychain ($DOCKER_CONFIG/config.json and credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("imageref.WithKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithInsecure allows plain HTTP and unverified TLS for every registry.
// Without it, plain HTTP is used only for loopback registries
// (localhost, 127.0.0.1, ::1).
func WithInsecure(insecure bool) Option {
	return func(o *options) error {
		o.insecure = insecure
		return nil
	}
}

// WithTransport sets the HTTP transport for registry requests.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error {
		if t == nil {
			return errors.New("imageref.WithTransport: nil transport")
		}
		o.transport = t
		return nil
	}
}

// WithRetries sets how many times a failed registry request is tried in all
// (temporary errors and 5xx/429 responses only). The default is 3; 1 means
// no retry.
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("imageref.WithRetries(%d): want at least 1", n)
		}
		o.retries = n
		return nil
	}
}

// WithUserAgent adds a product token to the User-Agent of registry requests.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		o.userAgent = ua
		return nil
	}
}

// RemoteOptions turns opts into go-containerregistry remote options, for
// callers that push or otherwise talk to a registry themselves with the
// same credentials, transport and plain-HTTP policy as Load.
func RemoteOptions(opts ...Option) ([]remote.Option, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.remote(), nil
}

func (o *options) remote() []remote.Option {
	t := o.transport
	if t == nil {
		base := remote.DefaultTransport.(*http.Transport).Clone()
		if o.insecure {
			base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure asked for it
		}
		t = base
	}
	if !o.insecure {
		t = &loopbackOnlyHTTP{next: t}
	}
	ro := []remote.Option{
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(t),
		remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: o.retries}),
	}
	if o.userAgent != "" {
		ro = append(ro, remote.WithUserAgent(o.userAgent))
	}
	return ro
}

// loopbackOnlyHTTP refuses plain-HTTP requests to hosts other than
// loopback ones (a *PlainHTTPError). go-containerregistry falls back to
// HTTP for private (RFC 1918) addresses on its own; gorootimg wants
// WithInsecure for that.
type loopbackOnlyHTTP struct{ next http.RoundTripper }

func (t *loopbackOnlyHTTP) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !isLoopback(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &PlainHTTPError{Host: req.URL.Host}
	}
	return t.next.RoundTrip(req)
}

// A PlainHTTPError is a plain-HTTP request to a registry that is not on a
// loopback address, refused because WithInsecure was not given.
type PlainHTTPError struct {
	// Host is the registry, "host:port".
	Host string
}

// Error reads "refusing plain HTTP to HOST: only loopback registries are
// reached without TLS".
func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("refusing plain HTTP to %s: only loopback registries are reached without TLS", e.Host)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
