package faultproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// pushBlob uploads data to repo through base (the proxy or the registry)
// and returns its digest.
func pushBlob(t *testing.T, c *http.Client, base, repo string, data []byte) string {
	t.Helper()
	dig := fmt.Sprintf("sha256:%x", sha256.Sum256(data))
	resp, err := c.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatalf("starting upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST upload = %d, want 202", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	loc = mustParse(t, base).ResolveReference(loc)
	if b := mustParse(t, base); loc.Host != b.Host {
		t.Fatalf("upload Location host = %q, want %q (uploads must continue through %s)", loc.Host, b.Host, base)
	}
	q := loc.Query()
	q.Set("digest", dig)
	loc.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatalf("finishing upload: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT upload = %d, want 201", resp.StatusCode)
	}
	return dig
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFaults(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	p := Start(t, "http://"+reg.Host)
	// Without keep-alives: the transport silently retries a GET whose
	// reused connection is reset, which would hide the fault.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	blob := bytes.Repeat([]byte("gorootimg faultproxy "), 1000)
	dig := pushBlob(t, c, p.URL(), "test/blob", blob)
	blobURL := p.URL() + "/v2/test/blob/blobs/" + dig
	blobPath := `^/v2/test/blob/blobs/sha256:[0-9a-f]{64}$`

	type try struct {
		status     int    // wanted status; 0 = wanted a transport or body error
		retryAfter string // wanted Retry-After
		bodyLen    int    // wanted body bytes read (for status 200 or reset mid-body)
	}
	full := try{status: 200, bodyLen: len(blob)}
	for _, tc := range []struct {
		name     string
		rule     Rule
		tries    []try
		wantHits int // how often the rule fires
	}{
		{"500 twice then through", Rule{Path: blobPath, Times: 2, Fault: Fail(500)},
			[]try{{status: 500}, {status: 500}, full}, 2},
		{"502", Rule{Path: blobPath, Times: 1, Fault: Fail(502)},
			[]try{{status: 502}, full}, 1},
		{"503 with Retry-After", Rule{Path: blobPath, Times: 1, Fault: FailRetryAfter(503, "2")},
			[]try{{status: 503, retryAfter: "2"}, full}, 1},
		{"429 with Retry-After", Rule{Path: blobPath, Times: 1, Fault: FailRetryAfter(429, "1")},
			[]try{{status: 429, retryAfter: "1"}, full}, 1},
		{"skip one then fail one", Rule{Path: blobPath, Skip: 1, Times: 1, Fault: Fail(503)},
			[]try{full, {status: 503}, full}, 1},
		{"method filter", Rule{Method: http.MethodHead, Path: blobPath, Fault: Fail(500)},
			[]try{full, full}, 0},
		{"reset before answer", Rule{Path: blobPath, Times: 1, Fault: ResetConn()},
			[]try{{status: 0}, full}, 1},
		{"reset mid-blob", Rule{Path: blobPath, Times: 1, Fault: ResetAfter(4096)},
			[]try{{status: 0, bodyLen: 4096}, full}, 1},
		{"short stall", Rule{Path: blobPath, Times: 1, Fault: StallFor(10 * time.Millisecond)},
			[]try{full, full}, 1},
		{"corrupt", Rule{Path: blobPath, Times: 1, Fault: CorruptAt(5000)},
			[]try{{status: 200, bodyLen: -1}, full}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rule.Name = tc.name
			if err := p.SetRules(tc.rule); err != nil {
				t.Fatal(err)
			}
			faults := 0
			for i, w := range tc.tries {
				resp, err := c.Get(blobURL)
				if err != nil {
					if w.status != 0 || w.bodyLen != 0 {
						t.Fatalf("try %d: GET blob: %v, want status %d", i, err, w.status)
					}
					faults++
					continue
				}
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if w.status == 0 {
					if rerr == nil {
						t.Fatalf("try %d: read %d bytes without error, want a reset after %d", i, len(body), w.bodyLen)
					}
					if len(body) != w.bodyLen {
						t.Errorf("try %d: read %d bytes before the reset, want %d", i, len(body), w.bodyLen)
					}
					faults++
					continue
				}
				if rerr != nil {
					t.Fatalf("try %d: reading body: %v", i, rerr)
				}
				if resp.StatusCode != w.status {
					t.Fatalf("try %d: GET blob = %d, want %d", i, resp.StatusCode, w.status)
				}
				if got := resp.Header.Get("Retry-After"); got != w.retryAfter {
					t.Errorf("try %d: Retry-After = %q, want %q", i, got, w.retryAfter)
				}
				if w.status == 200 && w.bodyLen == -1 {
					// Corrupted: same length, exactly one byte differs.
					diff := 0
					for i := range min(len(body), len(blob)) {
						if body[i] != blob[i] {
							diff++
						}
					}
					if len(body) != len(blob) || diff != 1 || body[5000] != blob[5000]^0xff {
						t.Errorf("try %d: corrupted body has %d bytes (want %d) and %d differing bytes (want 1, at 5000)", i, len(body), len(blob), diff)
					}
					faults++
				} else if w.status == 200 {
					if !bytes.Equal(body, blob) {
						t.Errorf("try %d: body differs from the blob pushed (%d bytes, want %d)", i, len(body), len(blob))
					}
				} else {
					faults++
				}
			}
			if tc.wantHits != faults && tc.rule.Fault.Kind != Stall {
				t.Errorf("%d tries failed, want %d", faults, tc.wantHits)
			}
			if got := p.Hits(tc.name); got != tc.wantHits {
				t.Errorf("Hits(%q) = %d, want %d", tc.name, got, tc.wantHits)
			}
		})
	}

	t.Run("long stall until the client gives up", func(t *testing.T) {
		if err := p.SetRules(Rule{Name: "stall", Path: blobPath, Fault: StallFor(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		sc := &http.Client{Transport: &http.Transport{}, Timeout: 300 * time.Millisecond}
		resp, err := sc.Get(blobURL)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET through an hour-long stall = %d, want a client timeout", resp.StatusCode)
		}
		if p.Hits("stall") != 1 {
			t.Errorf("Hits(stall) = %d, want 1", p.Hits("stall"))
		}
		// The proxy logs the stalled request once it sees the client go.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			log := p.Log()
			if len(log) > 0 && log[len(log)-1].Rule == "stall" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stalled request was never logged: %v", log)
			}
		}
	})

	t.Run("log", func(t *testing.T) {
		p.SetRules(Rule{Name: "log", Path: blobPath, Times: 1, Fault: Fail(500)})
		before := len(p.Log())
		for range 2 {
			resp, err := c.Get(blobURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		log := p.Log()[before:]
		want := []Entry{
			{Method: "GET", Path: mustParse(t, blobURL).Path, Rule: "log", Fault: "500", Status: 500},
			{Method: "GET", Path: mustParse(t, blobURL).Path, Status: 200},
		}
		if fmt.Sprint(log) != fmt.Sprint(want) {
			t.Errorf("Log() = %v, want %v", log, want)
		}
	})
}

func TestSetRulesRejects(t *testing.T) {
	p, err := New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tc := range []struct {
		name string
		rule Rule
		want string
	}{
		{"bad regexp", Rule{Name: "x", Path: "(", Fault: Fail(500)}, "compiling"},
		{"no kind", Rule{Name: "x"}, "no fault kind"},
		{"expire without token auth", Rule{Name: "x", Fault: Expire()}, "WithTokenAuth"},
	} {
		if err := p.SetRules(tc.rule); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetRules(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New("http://127.0.0.1:1", WithAddr("no-port")); err == nil {
		t.Errorf("New(WithAddr(no-port)) = nil error, want one")
	}
	if q, err := New("http://127.0.0.1:1", WithAddr("127.0.0.1:0")); err != nil {
		t.Errorf("New(WithAddr(127.0.0.1:0)) = %v", err)
	} else {
		if q.Port() == 0 || q.Host() != fmt.Sprintf("127.0.0.1:%d", q.Port()) {
			t.Errorf("Host() = %q, Port() = %d; want 127.0.0.1:PORT", q.Host(), q.Port())
		}
		q.Close()
	}
	for _, up := range []string{"", "127.0.0.1:5000", "ftp://x"} {
		if p, err := New(up); err == nil {
			p.Close()
			t.Errorf("New(%q) = nil error, want one", up)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	p := Start(t, "http://"+reg.Host, WithTokenAuth("ci", "s3cret"), WithUpstreamAuth(reg.User, reg.Password))
	c := &http.Client{Transport: &http.Transport{}}

	get := func(path, tok string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, p.URL()+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	token := func(user, pass string) (string, int) {
		req, _ := http.NewRequest(http.MethodGet, p.URL()+"/token?service=faultproxy", nil)
		req.SetBasicAuth(user, pass)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v struct{ Token string }
		json.NewDecoder(resp.Body).Decode(&v)
		return v.Token, resp.StatusCode
	}

	resp, err := get("/v2/test/x/tags/list", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("Www-Authenticate"), `Bearer realm="`+p.URL()+`/token"`) {
		t.Fatalf("GET without token = %d %q, want 401 with a bearer challenge", resp.StatusCode, resp.Header.Get("Www-Authenticate"))
	}
	if _, code := token("ci", "wrong"); code != 401 {
		t.Errorf("token with a wrong password = %d, want 401", code)
	}
	tok, code := token("ci", "s3cret")
	if code != 200 || tok == "" {
		t.Fatalf("token = %q, %d; want a token and 200", tok, code)
	}
	if resp, err := get("/v2/", tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v2/ with token = %v %v, want 200 (the proxy passes its upstream credentials on)", resp, err)
	}

	p.SetRules(Rule{Name: "expire", Path: "^/v2/$", Times: 1, Fault: Expire()})
	for i, want := range []int{401, 401} {
		if resp, err := get("/v2/", tok); err != nil || resp.StatusCode != want {
			t.Fatalf("GET %d with the expired token = %v %v, want %d", i, resp, err, want)
		}
	}
	if p.Hits("expire") != 1 {
		t.Errorf("Hits(expire) = %d, want 1", p.Hits("expire"))
	}
	tok2, _ := token("ci", "s3cret")
	if resp, err := get("/v2/", tok2); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v2/ with a fresh token = %v %v, want 200", resp, err)
	}
	p.ExpireTokens()
	if resp, err := get("/v2/", tok2); err != nil || resp.StatusCode != 401 {
		t.Fatalf("GET /v2/ after ExpireTokens = %v %v, want 401", resp, err)
	}
}

func TestTLSUpstream(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true})
	p := Start(t, "https://"+reg.Host, WithUpstreamTransport(&http.Transport{TLSClientConfig: testenv.TLSConfig(t, reg.CACert)}))
	c := &http.Client{Transport: &http.Transport{}}
	dig := pushBlob(t, c, p.URL(), "tls/blob", []byte("through a TLS upstream"))
	resp, err := c.Get(p.URL() + "/v2/tls/blob/blobs/" + dig)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "through a TLS upstream" {
		t.Errorf("GET blob via TLS upstream = %q", body)
	}
}
