package imageref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// TestRealRegistry loads images from Debian's docker-registry with TLS and
// htpasswd auth: credentials from DOCKER_CONFIG through the default
// keychain, the CA through WithTransport or no verification through
// WithInsecure; and checks the digest with skopeo when it is installed.
func TestRealRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts docker-registry; skipped with -short")
	}
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true, Auth: true})
	ctx := context.Background()
	caTransport := &http.Transport{TLSClientConfig: testenv.TLSConfig(t, reg.CACert)}
	basic := &authn.Basic{Username: reg.User, Password: reg.Password}

	ii, want := twoPlatformIndex(t)
	ref, _ := name.ParseReference(reg.Host + "/sdk/golang:1.22")
	if err := remote.WriteIndex(ref, ii, remote.WithAuth(basic), remote.WithTransport(caTransport)); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := ii.Digest()

	t.Setenv("DOCKER_CONFIG", reg.DockerConfig(t))
	s := "image:" + reg.Host + "/sdk/golang:1.22"
	r, err := Load(ctx, s, WithKeychain(authn.DefaultKeychain), WithTransport(caTransport))
	if err != nil {
		t.Fatalf("Load(%q) with DOCKER_CONFIG credentials: %v", s, err)
	}
	if r.Digest != idxDigest {
		t.Errorf("Load(%q).Digest = %s, want %s", s, r.Digest, idxDigest)
	}
	checkPlatforms(t, r, "linux/amd64", "linux/arm64")
	img, err := r.Image(arm64)
	if err != nil {
		t.Fatal(err)
	}
	if got := digest(t, img); got != want["linux/arm64"] {
		t.Errorf("arm64 image digest = %s, want %s", got, want["linux/arm64"])
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("validate.Image: %v", err)
	}

	// Without credentials: refused, and the error names the reference.
	_, err = Load(ctx, s, WithKeychain(authn.NewMultiKeychain()), WithTransport(caTransport), WithRetries(1))
	if err == nil || !strings.Contains(err.Error(), "sdk/golang:1.22") || !strings.Contains(err.Error(), "UNAUTHORIZED") {
		t.Errorf("Load without credentials: error = %v, want UNAUTHORIZED naming the reference", err)
	}
	// Without the CA: TLS verification fails, unless WithInsecure.
	_, err = Load(ctx, s, WithRetries(1))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Load with an untrusted certificate: error = %v, want a certificate error", err)
	}
	r2, err := Load(ctx, s, WithInsecure(true))
	if err != nil || r2.Digest != idxDigest {
		t.Errorf("Load with WithInsecure = %v, %v; want digest %s", r2, err, idxDigest)
	}

	// An independent reader agrees on the digest.
	if _, err := exec.LookPath("skopeo"); err == nil {
		out, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false",
			"--creds", reg.User+":"+reg.Password, "docker://"+reg.Host+"/sdk/golang:1.22").Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v", err)
		}
		sum := sha256.Sum256(out)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != idxDigest.String() {
			t.Errorf("skopeo's manifest digest = %s, imageref's %s", got, idxDigest)
		}
	}

	// A plain-HTTP registry on a loopback address needs no --insecure.
	plain := testenv.StartRegistry(t, testenv.RegistryOptions{})
	pref, _ := name.ParseReference(plain.Host + "/sdk/golang:1.22")
	if err := remote.WriteIndex(pref, ii); err != nil {
		t.Fatal(err)
	}
	r3, err := Load(ctx, plain.Host+"/sdk/golang:1.22")
	if err != nil || r3.Digest != idxDigest {
		t.Errorf("Load from a plain-HTTP loopback registry = %v, %v", r3, err)
	}
}
