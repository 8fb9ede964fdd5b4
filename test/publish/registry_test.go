package publishtest

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/testkit/faultproxy"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// registry is a docker-registry with a fault proxy in front: gorootimg
// pushes through the proxy, which logs every request.
type registry struct {
	reg   *testenv.Registry
	proxy *faultproxy.Proxy
	auth  authn.Authenticator
}

// startRegistry starts a registry that wants the password of a random
// user (htpasswd), so the tests can check that it never shows in output.
func startRegistry(t *testing.T) *registry {
	t.Helper()
	testenv.NeedTool(t, "docker-registry", "skopeo", "htpasswd")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Auth: true})
	return &registry{reg: reg, proxy: faultproxy.Start(t, "http://"+reg.Host),
		auth: &authn.Basic{Username: reg.User, Password: reg.Password}}
}

// dockerConfig writes a docker config.json with the credentials for the
// registry and its proxy into dir.
func (r *registry) dockerConfig(t *testing.T, dir string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(r.reg.User + ":" + r.reg.Password))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q},%q:{"auth":%q}}}`, r.reg.Host, auth, r.proxy.Host(), auth)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (r *registry) creds() string { return "--creds=" + r.reg.User + ":" + r.reg.Password }

// repo is a repository reached through the proxy.
func (r *registry) repo(path string) string { return r.proxy.Host() + "/" + path }

// count counts the requests logged so far whose method is method and
// whose path contains part.
func (r *registry) count(method, part string) int {
	n := 0
	for _, e := range r.proxy.Log() {
		if e.Method == method && strings.Contains(e.Path, part) {
			n++
		}
	}
	return n
}

// blobPuts counts blob uploads (the PUT that ends each one).
func (r *registry) blobPuts() int { return r.count("PUT", "/blobs/uploads/") }

// manifestPuts lists the references manifests were PUT under.
func (r *registry) manifestPuts() []string {
	var out []string
	for _, e := range r.proxy.Log() {
		if e.Method == "PUT" {
			if _, ref, ok := strings.Cut(e.Path, "/manifests/"); ok {
				out = append(out, ref)
			}
		}
	}
	return out
}

// pushBase pushes a two-platform base image (one small layer with
// /etc/os-release) directly to the registry and returns its reference.
func (r *registry) pushBase(t *testing.T) string {
	t.Helper()
	ref := r.reg.Host + "/base:bookworm"
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		body := "PRETTY_NAME=\"fake bookworm " + arch + "\"\n"
		tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755})
		tw.WriteHeader(&tar.Header{Name: "etc/os-release", Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
		tw.Close()
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		img, err := mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: arch, RootFS: v1.RootFS{Type: "layers"}})
		if err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer})
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx, remote.WithAuth(r.auth)); err != nil {
		t.Fatal(err)
	}
	return ref
}

// listTags is what skopeo list-tags sees, without referrer fallback tags
// (sha256-...), sorted.
func (r *registry) listTags(t *testing.T, repo string) []string {
	t.Helper()
	out, err := exec.Command("skopeo", "list-tags", "--tls-verify=false", r.creds(), "docker://"+repo).Output()
	if err != nil {
		t.Fatalf("skopeo list-tags %s: %v", repo, err)
	}
	var l struct{ Tags []string }
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, tg := range l.Tags {
		if !strings.HasPrefix(tg, "sha256-") {
			tags = append(tags, tg)
		}
	}
	sort.Strings(tags)
	return tags
}

// inspectIndex reads ref's manifest with skopeo inspect --raw and checks it
// is an OCI index of the two platforms; it returns the index digest.
func (r *registry) inspectIndex(t *testing.T, ref string) v1.Hash {
	t.Helper()
	raw, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", r.creds(), "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw %s: %v", ref, err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(raw, &im); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	var ps []string
	for _, m := range im.Manifests {
		if m.Platform != nil {
			ps = append(ps, imageref.FormatPlatform(*m.Platform))
		}
	}
	if im.MediaType != types.OCIImageIndex || strings.Join(ps, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("%s: %s of %v, want an OCI index of linux/amd64,linux/arm64", ref, im.MediaType, ps)
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// complete reads the index ref names, every image in it and every blob,
// re-hashing them (validate.Index): a tag must never name an image the
// registry does not wholly hold.
func (r *registry) complete(t *testing.T, ref string) error {
	t.Helper()
	nr, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(nr, remote.WithAuth(r.auth))
	if err != nil {
		return err
	}
	return validate.Index(idx)
}
