package hostile

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/faultproxy"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// dockerConfig writes a docker config.json giving user:pass for host and
// returns its directory.
func dockerConfig(t *testing.T, host, user, pass string) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// noSecret fails if any secret appears in the run's output.
func noSecret(t *testing.T, what string, r run, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("%s printed a secret (%q):\n%v", what, s, r)
		}
	}
}

// TestCredentials pushes through a registry that hands out bearer tokens
// (and expires one mid-push), and provokes errors that carry credentials:
// a wrong password, a reference and a GOPROXY with user:password@, and a
// goroutine dump (SIGQUIT) in the middle of an authenticated push. No
// output may contain the password, the base64 of user:password or a token.
func TestCredentials(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	const user = "ci-robot"
	pass := "pw-" + fmt.Sprint(time.Now().UnixNano())
	p := faultproxy.Start(t, "http://"+reg.Host, faultproxy.WithTokenAuth(user, pass), faultproxy.WithUpstreamAuth(reg.User, reg.Password))
	direct := &registryClient{base: "http://" + reg.Host, user: reg.User, pass: reg.Password}
	work := t.TempDir()
	cache := "GOROOTIMG_CACHE=" + filepath.Join(work, "cache")
	good := "DOCKER_CONFIG=" + dockerConfig(t, p.Host(), user, pass)
	archive := fakeRelease(t, work, 7, 1<<20)
	secrets := []string{pass, base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)), reg.Password}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := func(ref string, extra ...string) []string {
		return append([]string{"build", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "-t", ref, "--push"}, extra...)
	}

	t.Run("token expires mid-push", func(t *testing.T) {
		if err := p.SetRules(faultproxy.Rule{Name: "expire", Method: "PUT", Path: pathManifest, Times: 1, Fault: faultproxy.Expire()}); err != nil {
			t.Fatal(err)
		}
		r := gorootimgRun(t, ctx, []string{cache, good}, nil, build(p.Host()+"/cred/a:v1")...)
		noSecret(t, "push with token expiry", r, secrets...)
		if r.code != 0 {
			t.Fatalf("push with a token that expires mid-push: %v", r)
		}
		if p.Hits("expire") != 1 {
			t.Errorf("the token expiry fired %d times, want 1", p.Hits("expire"))
		}
		got, problems := direct.tagState("cred/a", "v1")
		if got != strings.TrimSpace(r.stdout) || len(problems) > 0 {
			t.Errorf("tag = %s %v, want %s complete", got, problems, strings.TrimSpace(r.stdout))
		}
		t.Logf("ROW\ttoken expires mid-push (401 on the manifest PUT)\tre-authenticated and pushed\tnew image, complete; no secret in output")
	})

	t.Run("wrong password", func(t *testing.T) {
		p.SetRules()
		wrong := "wrong-" + pass
		bad := "DOCKER_CONFIG=" + dockerConfig(t, p.Host(), user, wrong)
		r := gorootimgRun(t, ctx, []string{cache, bad}, nil, build(p.Host()+"/cred/b:v1", "--verbose")...)
		if r.code == 0 {
			t.Fatalf("push with a wrong password succeeded: %v", r)
		}
		noSecret(t, "push with a wrong password", r, append(secrets, wrong, base64.StdEncoding.EncodeToString([]byte(user+":"+wrong)))...)
		r = gorootimgRun(t, ctx, []string{cache, bad}, nil, build(p.Host()+"/cred/b:v1")...)
		if r.code == 0 || !strings.Contains(r.stderr, "401") {
			t.Errorf("push with a wrong password: %v; want a failure naming the 401", r)
		}
		noSecret(t, "push with a wrong password", r, append(secrets, wrong, base64.StdEncoding.EncodeToString([]byte(user+":"+wrong)))...)
		if got, _ := direct.tagState("cred/b", "v1"); got != "" {
			t.Errorf("a refused push created the tag (%s)", got)
		}
		t.Logf("ROW\twrong password (also with --verbose, which gorootimg does not have)\t%s\tnothing pushed; no secret in output", truncate(lastLine(r.stderr), 120))
	})

	t.Run("password in the reference", func(t *testing.T) {
		r := gorootimgRun(t, ctx, []string{cache, good}, nil, build(user+":"+pass+"@"+p.Host()+"/cred/c:v1")...)
		if r.code == 0 {
			t.Fatalf("push to a reference with user:password@ succeeded: %v", r)
		}
		noSecret(t, "push to user:password@host", r, secrets...)
		first, _, _ := strings.Cut(r.stderr, "\n")
		t.Logf("ROW\t-t user:password@host/repo (userinfo in the reference)\trefused: %s\tno secret in output", truncate(first, 160))
	})

	t.Run("password in GOPROXY", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := l.Addr().String()
		l.Close()
		proxy := "GOPROXY=http://" + user + ":" + pass + "@" + dead + "/mod"
		r := gorootimgRun(t, ctx, []string{cache, good, proxy}, nil,
			"build", "--go", "1.22.12", "--platform", "linux/amd64", "--oci-layout", filepath.Join(t.TempDir(), "out"))
		if r.code == 0 {
			t.Fatalf("build from an unreachable proxy succeeded: %v", r)
		}
		noSecret(t, "build with a GOPROXY holding a password", r, secrets...)
		t.Logf("ROW\tGOPROXY=http://user:password@host/ unreachable\tfailed: %s\tno secret in output", truncate(lastLine(r.stderr), 120))
	})

	t.Run("goroutine dump mid-push", func(t *testing.T) {
		if err := p.SetRules(faultproxy.Rule{Name: "stall", Method: "PUT", Path: pathManifest, Fault: faultproxy.StallFor(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		r := gorootimgRun(t, ctx, []string{cache, good, "GOTRACEBACK=all"}, func(proc *os.Process) {
			deadline := time.Now().Add(time.Minute)
			for p.Hits("stall") == 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			proc.Signal(syscall.SIGQUIT)
		}, build(p.Host()+"/cred/d:v1")...)
		p.SetRules()
		if !strings.Contains(r.stderr, "goroutine ") {
			t.Fatalf("SIGQUIT mid-push gave no goroutine dump: %v", r)
		}
		noSecret(t, "goroutine dump mid-push", r, secrets...)
		t.Logf("ROW\tpanic-style goroutine dump (SIGQUIT) during an authenticated push\tdumped %d lines\tno secret in output", strings.Count(r.stderr, "\n"))
	})
}

// hostIP returns a non-loopback IPv4 address of this machine.
func hostIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("skipping: no interface addresses: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("skipping: this machine has no non-loopback IPv4 address")
	return ""
}

// TestPlainHTTPNeedsInsecure pushes to a plain-HTTP registry reached by a
// non-loopback address: refused without --insecure (before any plain
// request is sent), accepted with it.
func TestPlainHTTPNeedsInsecure(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ip := hostIP(t)
	p := faultproxy.Start(t, "http://"+reg.Host, faultproxy.WithAddr(ip+":0"))
	host := fmt.Sprintf("%s:%d", ip, p.Port())
	work := t.TempDir()
	env := []string{"GOROOTIMG_CACHE=" + filepath.Join(work, "cache")}
	archive := fakeRelease(t, work, 8, 1<<16)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "-t", host + "/plain/x:v1", "--push"}

	r := gorootimgRun(t, ctx, env, nil, args...)
	if r.code == 0 || !strings.Contains(r.stderr, host) {
		t.Errorf("push to plain-HTTP %s without --insecure: %v; want a failure naming the registry", host, r)
	}
	for _, e := range p.Log() {
		if strings.HasPrefix(e.Path, "/v2/") {
			t.Errorf("without --insecure, a plain HTTP request reached the registry: %+v", e)
		}
	}
	refused := truncate(lastLine(r.stderr), 140)
	r = gorootimgRun(t, ctx, env, nil, append(args, "--insecure")...)
	if r.code != 0 {
		t.Errorf("push to plain-HTTP %s with --insecure: %v", host, r)
	}
	direct := &registryClient{base: "http://" + reg.Host}
	if got, problems := direct.tagState("plain/x", "v1"); got != strings.TrimSpace(r.stdout) || len(problems) > 0 {
		t.Errorf("tag after --insecure push = %s %v, want %s", got, problems, strings.TrimSpace(r.stdout))
	}
	t.Logf("ROW\tplain HTTP to a non-loopback registry\twithout --insecure refused (%s); with it pushed\tno plain request without --insecure", refused)
}

// TestTLSVerification pushes to a TLS registry whose certificate a test CA
// signed: refused by default, accepted once SSL_CERT_FILE names the CA.
func TestTLSVerification(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true})
	work := t.TempDir()
	env := []string{"GOROOTIMG_CACHE=" + filepath.Join(work, "cache")}
	archive := fakeRelease(t, work, 9, 1<<16)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// "localhost" so that the loopback plain-HTTP fallback cannot hide a
	// TLS failure: the certificate names localhost and 127.0.0.1.
	_, port, _ := net.SplitHostPort(reg.Host)
	args := []string{"build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "-t", "localhost:" + port + "/tls/x:v1", "--push"}

	r := gorootimgRun(t, ctx, env, nil, args...)
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("push to a registry with an unknown CA: %v; want a certificate error", r)
	}
	refused := truncate(lastLine(r.stderr), 140)
	r = gorootimgRun(t, ctx, append(env, "SSL_CERT_FILE="+reg.CACert), nil, args...)
	if r.code != 0 {
		t.Errorf("push with SSL_CERT_FILE naming the CA: %v", r)
	}
	tr := testenv.TLSConfig(t, reg.CACert)
	direct := &registryClient{base: "https://" + reg.Host}
	direct.client = httpsClient(tr)
	if got, problems := direct.tagState("tls/x", "v1"); got != strings.TrimSpace(r.stdout) || len(problems) > 0 {
		t.Errorf("tag after push with SSL_CERT_FILE = %s %v, want %s", got, problems, strings.TrimSpace(r.stdout))
	}
	t.Logf("ROW\tTLS registry signed by an unknown CA\trefused by default (%s); pushed with SSL_CERT_FILE=ca.pem\tnothing pushed without the CA", refused)
}
