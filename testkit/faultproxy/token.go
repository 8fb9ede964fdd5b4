package faultproxy

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// challenge answers 401 with a bearer challenge pointing at /token.
func (p *Proxy) challenge(w http.ResponseWriter, r *http.Request) {
	scope := ""
	if repo, ok := repoOf(r.URL.Path); ok {
		action := "pull"
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			action = "pull,push"
		}
		scope = fmt.Sprintf(`,scope="repository:%s:%s"`, repo, action)
	}
	w.Header().Set("Www-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="faultproxy"%s`, p.URL(), scope))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintln(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
}

// repoOf returns the repository of a /v2/<repo>/{blobs,manifests,tags}/ path.
func repoOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", false
	}
	for _, sep := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.LastIndex(rest, sep); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}

// bearer returns the request's token and whether it is valid.
func (p *Proxy) bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return tok, p.tokens[tok]
}

// serveToken hands out a new token to a client with the right basic
// credentials (sent as basic auth, or as a password grant by POST).
func (p *Proxy) serveToken(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok && r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			user, pass, ok = r.PostForm.Get("username"), r.PostForm.Get("password"), r.PostForm.Get("password") != ""
		}
	}
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(p.opts.tokenUser)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(p.opts.tokenPass)) != 1 {
		w.Header().Set("Www-Authenticate", `Basic realm="faultproxy"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		p.record(Entry{Method: r.Method, Path: r.URL.Path, Status: http.StatusUnauthorized})
		return
	}
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	p.mu.Lock()
	p.tokens[tok] = true
	p.mu.Unlock()
	p.record(Entry{Method: r.Method, Path: r.URL.Path, Status: http.StatusOK})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 3600})
}
