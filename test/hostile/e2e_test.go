package hostile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// The end-to-end tests run the gorootimg binary, linked once per source
// hash for every package (fixture.Binary), against fake SDK release
// archives (a few files, one of them incompressible so that layers are
// big enough to be cut in the middle).

// gorootimg returns the path of the gorootimg binary built from this tree.
func gorootimg(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: builds and runs the gorootimg binary (-short)")
	}
	return fixture.Binary(t)
}

// fakeRelease writes a release archive of Release for linux/amd64 into
// dir/seed whose go binary is size random bytes from seed: archives with
// different seeds give images with different layers.
func fakeRelease(t *testing.T, dir string, seed int64, size int) string {
	t.Helper()
	d := filepath.Join(dir, fmt.Sprint("sdk-", seed))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, size)
	rand.New(rand.NewSource(seed)).Read(body)
	es := replace(sdkEntries("go/", Release), "go/bin/go", Entry{Name: "go/bin/go", Mode: 0o755, Body: body})
	file, err := writeTarball(d, es)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// run is one gorootimg process.
type run struct {
	code           int
	stdout, stderr string
	tmpLeft        []string // files left in the process's TMPDIR
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// gorootimgRun runs the binary with env (on top of a clean environment:
// PATH, HOME, a fresh TMPDIR) and returns what it did. start, when set, is
// called once the process runs (to signal it).
func gorootimgRun(t *testing.T, ctx context.Context, env []string, start func(*os.Process), args ...string) run {
	t.Helper()
	tmp, home := t.TempDir(), t.TempDir()
	testenv.GoTelemetryOff(t, home)
	cmd := exec.CommandContext(ctx, gorootimg(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + tmp, "DOCKER_CONFIG=" + filepath.Join(home, "no-docker-config")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if start != nil {
		start(cmd.Process)
	}
	err := cmd.Wait()
	r := run{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("running gorootimg: %v", err)
	}
	filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != tmp && !d.IsDir() {
			r.tmpLeft = append(r.tmpLeft, p)
		}
		return nil
	})
	return r
}

// manifestDesc is the part of an image index or manifest the checks read.
type manifestDesc struct {
	MediaType string `json:"mediaType"`
	Manifests []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	} `json:"manifests"`
	Config struct {
		Digest string `json:"digest"`
	} `json:"config"`
	Layers []struct {
		Digest string `json:"digest"`
	} `json:"layers"`
}

// registryClient reads a registry directly (not through the proxy).
type registryClient struct {
	base   string // "http://127.0.0.1:PORT"
	client *http.Client
	user   string
	pass   string
}

func (rc *registryClient) do(method, path string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, rc.base+path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
	}, ","))
	if rc.user != "" {
		req.SetBasicAuth(rc.user, rc.pass)
	}
	c := rc.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// tagState returns the digest the tag points at ("" if there is none) and
// every problem with what it references: a manifest or blob the registry
// does not have, or content that does not match its digest.
func (rc *registryClient) tagState(repo, tag string) (string, []string) {
	resp, body, err := rc.do(http.MethodGet, "/v2/"+repo+"/manifests/"+tag)
	if err != nil {
		return "", []string{err.Error()}
	}
	if resp.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if resp.StatusCode != http.StatusOK {
		return "", []string{fmt.Sprintf("GET tag %s: %s", tag, resp.Status)}
	}
	dig := fmt.Sprintf("sha256:%x", sha256.Sum256(body))
	var problems []string
	var walk func(dig string, body []byte)
	walk = func(dig string, body []byte) {
		var m manifestDesc
		if err := json.Unmarshal(body, &m); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", dig, err))
			return
		}
		for _, c := range m.Manifests {
			resp, b, err := rc.do(http.MethodGet, "/v2/"+repo+"/manifests/"+c.Digest)
			switch {
			case err != nil:
				problems = append(problems, err.Error())
			case resp.StatusCode != http.StatusOK:
				problems = append(problems, fmt.Sprintf("manifest %s: %s", c.Digest, resp.Status))
			case fmt.Sprintf("sha256:%x", sha256.Sum256(b)) != c.Digest:
				problems = append(problems, fmt.Sprintf("manifest %s: content does not match", c.Digest))
			default:
				walk(c.Digest, b)
			}
		}
		blobs := []string{}
		if m.Config.Digest != "" {
			blobs = append(blobs, m.Config.Digest)
		}
		for _, l := range m.Layers {
			blobs = append(blobs, l.Digest)
		}
		for _, b := range blobs {
			resp, data, err := rc.do(http.MethodGet, "/v2/"+repo+"/blobs/"+b)
			switch {
			case err != nil:
				problems = append(problems, err.Error())
			case resp.StatusCode != http.StatusOK:
				problems = append(problems, fmt.Sprintf("blob %s: %s", b, resp.Status))
			case fmt.Sprintf("sha256:%x", sha256.Sum256(data)) != b:
				problems = append(problems, fmt.Sprintf("blob %s: content does not match", b))
			}
		}
	}
	walk(dig, body)
	return dig, problems
}

// layoutDigest builds the archive into an OCI layout and returns the index
// digest: the digest a push of the same build gives.
func layoutDigest(t *testing.T, env []string, archive string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "layout")
	r := gorootimgRun(t, context.Background(), env, nil, append([]string{"build", "-q", "--go", archive, "--platform", "linux/amd64", "--recipe", "full", "--oci-layout", out}, extra...)...)
	if r.code != 0 {
		t.Fatalf("building %s into a layout: %v", archive, r)
	}
	return strings.TrimSpace(r.stdout)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

var _ = time.Second

func httpsClient(c *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
}
