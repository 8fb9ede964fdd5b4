package faultproxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind says what a Fault does.
type Kind int

// The kinds of fault.
const (
	// Status answers with Fault.Code (and Fault.RetryAfter, when set)
	// without forwarding the request.
	Status Kind = iota + 1
	// Reset closes the connection with a TCP reset before any answer.
	Reset
	// ResetMidBody forwards the request, sends the status, the headers
	// and the first Fault.After bytes of the body, then resets the
	// connection.
	ResetMidBody
	// Stall waits Fault.Delay (or until the client gives up) and then
	// forwards the request.
	Stall
	// ExpireToken invalidates the bearer token the request carries and
	// answers 401 with a fresh challenge, as a registry does when a token
	// expires. Needs WithTokenAuth.
	ExpireToken
	// Corrupt forwards the request and flips the bits of the response
	// body's byte at offset Fault.After (the length stays the same): a
	// registry or mirror serving damaged content.
	Corrupt
)

func (k Kind) String() string {
	switch k {
	case Status:
		return "status"
	case Reset:
		return "reset"
	case ResetMidBody:
		return "reset-mid-body"
	case Stall:
		return "stall"
	case ExpireToken:
		return "expire-token"
	case Corrupt:
		return "corrupt"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Fault is what the proxy does to a request a rule matches.
type Fault struct {
	Kind Kind
	// Code is the status for Status.
	Code int
	// RetryAfter is the Retry-After header sent with Status ("" = none).
	RetryAfter string
	// After is the number of body bytes ResetMidBody lets through.
	After int64
	// Delay is how long Stall waits.
	Delay time.Duration
}

// Fail answers with code and no Retry-After.
func Fail(code int) Fault { return Fault{Kind: Status, Code: code} }

// FailRetryAfter answers with code and a Retry-After header.
func FailRetryAfter(code int, retryAfter string) Fault {
	return Fault{Kind: Status, Code: code, RetryAfter: retryAfter}
}

// ResetConn resets the connection before answering.
func ResetConn() Fault { return Fault{Kind: Reset} }

// ResetAfter resets the connection after n bytes of the response body.
func ResetAfter(n int64) Fault { return Fault{Kind: ResetMidBody, After: n} }

// StallFor holds the request for d before forwarding it.
func StallFor(d time.Duration) Fault { return Fault{Kind: Stall, Delay: d} }

// Expire makes the request's bearer token invalid and answers 401.
func Expire() Fault { return Fault{Kind: ExpireToken} }

// CorruptAt flips the bits of the response body's byte at offset n.
func CorruptAt(n int64) Fault { return Fault{Kind: Corrupt, After: n} }

func (f Fault) String() string {
	switch f.Kind {
	case Status:
		if f.RetryAfter != "" {
			return fmt.Sprintf("%d Retry-After: %s", f.Code, f.RetryAfter)
		}
		return fmt.Sprintf("%d", f.Code)
	case ResetMidBody:
		return fmt.Sprintf("reset after %d bytes", f.After)
	case Stall:
		return fmt.Sprintf("stall %s", f.Delay)
	case Corrupt:
		return fmt.Sprintf("corrupt byte %d", f.After)
	}
	return f.Kind.String()
}

// Rule applies a Fault to matching requests.
type Rule struct {
	// Name identifies the rule for Hits; it need not be unique.
	Name string
	// Method matches the request method; "" matches any.
	Method string
	// Path is a regular expression matched against the URL path
	// ("/v2/.+/blobs/sha256:.+"); "" matches any.
	Path string
	// Skip lets the first Skip matching requests through untouched.
	Skip int
	// Times is how many matching requests (after Skip) get the fault;
	// 0 means every one.
	Times int
	// Fault is what happens to them.
	Fault Fault
}

type rule struct {
	Rule
	path    *regexp.Regexp
	matched int // requests that matched Method and Path
	fired   int // requests the fault was applied to
}

// Entry is one request the proxy saw.
type Entry struct {
	Method, Path string
	// Rule is the name of the rule that fired, "" if none.
	Rule string
	// Fault is what was done, "" if the request was forwarded untouched.
	Fault string
	// Status is the status sent to the client (0 after a reset).
	Status int
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	upstream *url.URL
	opts     options
	srv      *http.Server
	ln       net.Listener
	scheme   string

	mu     sync.Mutex
	rules  []*rule
	log    []Entry
	tokens map[string]bool
}

type options struct {
	addr                 string
	transport            http.RoundTripper
	upUser, upPass       string
	tokenUser, tokenPass string
	tokenAuth            bool
	tlsConfig            *tls.Config
}

// Option configures New.
type Option func(*options) error

// WithUpstreamTransport sets the transport used to reach the registry (for
// example one that trusts a test CA). The default is a plain
// http.Transport without proxies.
func WithUpstreamTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("faultproxy: nil upstream transport")
		}
		o.transport = rt
		return nil
	}
}

// WithAddr listens on addr ("0.0.0.0:0" to be reachable on every
// interface) instead of 127.0.0.1 at a free port.
func WithAddr(addr string) Option {
	return func(o *options) error {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("faultproxy: address %q: %w", addr, err)
		}
		o.addr = addr
		return nil
	}
}

// WithUpstreamAuth sends basic credentials to the registry on every
// forwarded request that carries none of its own (or a proxy bearer token).
func WithUpstreamAuth(user, password string) Option {
	return func(o *options) error {
		if user == "" {
			return errors.New("faultproxy: empty upstream user")
		}
		o.upUser, o.upPass = user, password
		return nil
	}
}

// WithTokenAuth makes the proxy a bearer-token registry: every /v2/
// request needs a token from the proxy's /token endpoint, which hands
// them out to clients presenting these basic credentials. Tokens stay
// valid until an ExpireToken fault or ExpireTokens.
func WithTokenAuth(user, password string) Option {
	return func(o *options) error {
		if user == "" {
			return errors.New("faultproxy: empty token user")
		}
		o.tokenAuth = true
		o.tokenUser, o.tokenPass = user, password
		return nil
	}
}

// WithTLS serves HTTPS with the given configuration (which must hold a
// certificate) instead of plain HTTP.
func WithTLS(c *tls.Config) Option {
	return func(o *options) error {
		if c == nil || len(c.Certificates) == 0 && c.GetCertificate == nil {
			return errors.New("faultproxy: TLS config without a certificate")
		}
		o.tlsConfig = c
		return nil
	}
}

// New starts a proxy on 127.0.0.1 at a free port in front of the registry
// at upstream ("http://127.0.0.1:5000"). Close stops it.
func New(upstream string, opts ...Option) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("parsing upstream %q: %w", upstream, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("parsing upstream %q: want http://host:port or https://host:port", upstream)
	}
	p := &Proxy{upstream: u, tokens: map[string]bool{}, scheme: "http"}
	for _, o := range opts {
		if err := o(&p.opts); err != nil {
			return nil, err
		}
	}
	if p.opts.transport == nil {
		p.opts.transport = &http.Transport{Proxy: nil, DisableCompression: true}
	}
	addr := p.opts.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	if p.opts.tlsConfig != nil {
		ln = tls.NewListener(ln, p.opts.tlsConfig)
		p.scheme = "https"
	}
	p.ln = ln
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: time.Minute}
	go p.srv.Serve(ln)
	return p, nil
}

// Start is New for tests: it fails the test on error and closes the proxy
// when the test ends.
func Start(t testing.TB, upstream string, opts ...Option) *Proxy {
	t.Helper()
	p, err := New(upstream, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Host is the proxy's "127.0.0.1:PORT", to use as a registry host (with
// WithAddr, the address it listens on).
func (p *Proxy) Host() string { return p.ln.Addr().String() }

// Port is the port the proxy listens on.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// URL is "http://127.0.0.1:PORT" (https with WithTLS).
func (p *Proxy) URL() string { return p.scheme + "://" + p.Host() }

// Close stops the proxy and drops open connections.
func (p *Proxy) Close() error { return p.srv.Close() }

// SetRules replaces the script. The first matching rule that still has
// faults to give fires; counters start again from zero.
func (p *Proxy) SetRules(rules ...Rule) error {
	rs := make([]*rule, 0, len(rules))
	for _, r := range rules {
		nr := &rule{Rule: r}
		if r.Path != "" {
			re, err := regexp.Compile(r.Path)
			if err != nil {
				return fmt.Errorf("compiling rule %q path: %w", r.Name, err)
			}
			nr.path = re
		}
		if r.Fault.Kind == ExpireToken && !p.opts.tokenAuth {
			return fmt.Errorf("rule %q: ExpireToken needs WithTokenAuth", r.Name)
		}
		if r.Fault.Kind < Status || r.Fault.Kind > Corrupt {
			return fmt.Errorf("rule %q: no fault kind", r.Name)
		}
		rs = append(rs, nr)
	}
	p.mu.Lock()
	p.rules = rs
	p.mu.Unlock()
	return nil
}

// Hits returns how many times the rules with this name fired.
func (p *Proxy) Hits(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.rules {
		if r.Name == name {
			n += r.fired
		}
	}
	return n
}

// Log returns the requests seen so far, in order of arrival.
func (p *Proxy) Log() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.log...)
}

// ExpireTokens makes every token handed out so far invalid.
func (p *Proxy) ExpireTokens() {
	p.mu.Lock()
	clear(p.tokens)
	p.mu.Unlock()
}

// pick finds the rule that fires for r, updating counters.
func (p *Proxy) pick(r *http.Request) *rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ru := range p.rules {
		if ru.Method != "" && ru.Method != r.Method {
			continue
		}
		if ru.path != nil && !ru.path.MatchString(r.URL.Path) {
			continue
		}
		ru.matched++
		if ru.matched <= ru.Skip {
			continue
		}
		if ru.Times > 0 && ru.fired >= ru.Times {
			continue
		}
		ru.fired++
		return ru
	}
	return nil
}

func (p *Proxy) record(e Entry) {
	p.mu.Lock()
	p.log = append(p.log, e)
	p.mu.Unlock()
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.opts.tokenAuth && r.URL.Path == "/token" {
		p.serveToken(w, r)
		return
	}
	e := Entry{Method: r.Method, Path: r.URL.Path}
	tok, authed := "", true
	if p.opts.tokenAuth && strings.HasPrefix(r.URL.Path, "/v2/") {
		// A request without a valid token is answered before the script
		// runs: asking for a token is not a fault.
		if tok, authed = p.bearer(r); !authed {
			e.Status = http.StatusUnauthorized
			p.record(e)
			p.challenge(w, r)
			return
		}
	}
	ru := p.pick(r)
	if ru != nil {
		e.Rule, e.Fault = ru.Name, ru.Fault.String()
	}
	if p.opts.tokenAuth && strings.HasPrefix(r.URL.Path, "/v2/") {
		if ru != nil && ru.Fault.Kind == ExpireToken {
			p.mu.Lock()
			delete(p.tokens, tok)
			p.mu.Unlock()
			e.Status = http.StatusUnauthorized
			p.record(e)
			p.challenge(w, r)
			return
		}
	}
	if ru != nil {
		switch ru.Fault.Kind {
		case Status:
			if ru.Fault.RetryAfter != "" {
				w.Header().Set("Retry-After", ru.Fault.RetryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ru.Fault.Code)
			fmt.Fprintf(w, `{"errors":[{"code":"UNAVAILABLE","message":"faultproxy: injected %d"}]}`+"\n", ru.Fault.Code)
			e.Status = ru.Fault.Code
			p.record(e)
			return
		case Reset:
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			p.record(e)
			reset(w)
			return
		case Stall:
			select {
			case <-time.After(ru.Fault.Delay):
			case <-r.Context().Done():
				p.record(e)
				return
			}
		}
	}
	limit, corrupt := int64(-1), int64(-1)
	if ru != nil && ru.Fault.Kind == ResetMidBody {
		limit = ru.Fault.After
	}
	if ru != nil && ru.Fault.Kind == Corrupt {
		corrupt = ru.Fault.After
	}
	p.forward(w, r, limit, corrupt, e)
}

// forward sends r upstream and copies the answer back; with limit >= 0 it
// resets the connection after limit body bytes. It records e with the
// status sent (0 if the connection was reset) before the client can see
// the end of the answer.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, limit, corrupt int64, e Entry) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.upstream.Scheme
	out.URL.Host = p.upstream.Host
	// The registry builds Location headers from the Host it is asked for
	// and X-Forwarded-Proto, so uploads continue through the proxy.
	out.Host = r.Host
	out.Header.Set("X-Forwarded-Proto", p.scheme)
	out.Header.Del("X-Forwarded-For")
	if p.opts.tokenAuth {
		out.Header.Del("Authorization")
	}
	if p.opts.upUser != "" && out.Header.Get("Authorization") == "" {
		out.SetBasicAuth(p.opts.upUser, p.opts.upPass)
	}
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.opts.transport.RoundTrip(out)
	if err != nil {
		e.Status = http.StatusBadGateway
		p.record(e)
		http.Error(w, "faultproxy: upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	if loc := h.Get("Location"); loc != "" {
		h.Set("Location", p.rewriteLocation(loc))
	}
	if p.opts.tokenAuth && resp.StatusCode == http.StatusUnauthorized {
		// The upstream's own challenge would send the client to the wrong realm.
		h.Del("Www-Authenticate")
	}
	if limit < 0 {
		e.Status = resp.StatusCode
		p.record(e)
		w.WriteHeader(resp.StatusCode)
		var body io.Reader = resp.Body
		if corrupt >= 0 {
			body = &flipReader{r: resp.Body, at: corrupt}
		}
		io.Copy(w, body)
		return
	}
	p.record(e)
	w.WriteHeader(resp.StatusCode)
	io.CopyN(w, resp.Body, limit)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	reset(w)
}

// flipReader flips the bits of the byte at offset at.
type flipReader struct {
	r   io.Reader
	at  int64
	off int64
}

func (f *flipReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if i := f.at - f.off; i >= 0 && i < int64(n) {
		b[i] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

func (p *Proxy) rewriteLocation(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Host != p.upstream.Host {
		return loc
	}
	u.Scheme, u.Host = p.scheme, p.Host()
	return u.String()
}

// reset hijacks the connection and closes it with SO_LINGER 0, so the
// client sees a TCP reset rather than a clean end of stream.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if buf != nil {
		buf.Flush()
	}
	c := conn
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
