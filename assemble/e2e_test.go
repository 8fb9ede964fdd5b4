package assemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// e2eRelease is the release the end-to-end test builds. Tests elsewhere use
// it too, so the shared SDK cache usually has it.
const e2eRelease = "1.26.11"

// gorootimgBin is the gorootimg command, linked once per source hash for
// every package (fixture.Binary).
func gorootimgBin(t *testing.T) string {
	t.Helper()
	return fixture.Binary(t)
}

// needProxy skips the test unless the Go module proxy answers.
func needProxy(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Skipf("skipping: go env GOPROXY: %v", err)
	}
	proxy := ""
	for _, p := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
		if strings.HasPrefix(p, "http") {
			proxy = p
			break
		}
	}
	if proxy == "" {
		t.Skip("skipping: GOPROXY names no HTTP proxy")
	}
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(proxy, "/") + "/golang.org/toolchain/@v/list")
	if err != nil {
		t.Skipf("skipping: the module proxy is unreachable: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("skipping: the module proxy answered %s", resp.Status)
	}
}

// run runs gorootimg with env added to the environment and returns stdout.
func run(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("gorootimg %s\n%s", strings.Join(args, " "), stderr.String())
	if err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// TestEndToEndRelease builds a real release for two platforms, pushes it
// to Debian's docker-registry and checks the result with skopeo,
// oci-image-tool and umoci, then builds a hello world with the image's
// own go in a chroot.
func TestEndToEndRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: downloads two Go releases")
	}
	testenv.NeedTool(t, "docker-registry", "skopeo", "umoci", "oci-image-tool")
	needProxy(t)
	bin := gorootimgBin(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	dir := t.TempDir()
	ref := reg.Host + "/gorootimg/go:1.26"
	out := filepath.Join(dir, "layout")
	args := []string{"build", "--go", e2eRelease, "--platform", "linux/amd64,linux/arm64",
		"-t", ref, "--push", "--oci-layout", out, "--platform-tags"}
	first, err := run(t, bin, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	digest := strings.TrimSpace(first)
	if !strings.HasPrefix(digest, "sha256:") || strings.Contains(digest, "\n") {
		t.Fatalf("stdout = %q, want one digest", first)
	}

	// A second build in another process, without the cache, gives the same
	// digests: the suite's one cross-process --no-cache proof (docs/testing.md).
	second, err := run(t, bin, nil, append(args[:len(args)-3], "--oci-layout", filepath.Join(dir, "again"), "--platform-tags", "--no-cache")...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(second) != digest {
		t.Errorf("second build = %s, want %s", second, digest)
	}
	a, _ := os.ReadFile(filepath.Join(out, "index.json"))
	b, _ := os.ReadFile(filepath.Join(dir, "again", "index.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("index.json differs between builds:\n%s\n%s", a, b)
	}

	t.Run("skopeo sees both platforms", func(t *testing.T) {
		raw, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v", err)
		}
		var idx struct {
			MediaType string
			Manifests []struct {
				Digest   string
				Platform v1.Platform
			}
		}
		if err := json.Unmarshal(raw, &idx); err != nil {
			t.Fatalf("skopeo inspect --raw: %v\n%s", err, raw)
		}
		var got []string
		for _, m := range idx.Manifests {
			got = append(got, imageref.FormatPlatform(m.Platform))
		}
		if idx.MediaType != "application/vnd.oci.image.index.v1+json" || strings.Join(got, ",") != "linux/amd64,linux/arm64" {
			t.Errorf("registry has %s for %v, want an OCI index for linux/amd64,linux/arm64", idx.MediaType, got)
		}
	})

	t.Run("oci-image-tool validates the layout", func(t *testing.T) {
		// oci-image-tool 1.0.0-rc1 neither reads nested indexes nor picks an
		// image of another architecture than its own: validate the host's.
		for _, tag := range []string{"1.26-linux-" + runtime.GOARCH} {
			o, err := exec.Command("oci-image-tool", "validate", "--type", "image", "--ref", "name="+tag, out).CombinedOutput()
			if err != nil || !strings.Contains(string(o), "Validation succeeded") {
				t.Errorf("oci-image-tool validate %s: %v\n%s", tag, err, o)
			}
		}
	})

	t.Run("umoci unpack and go build", func(t *testing.T) {
		testenv.NeedRoot(t)
		testenv.NeedTool(t, "unshare", "chroot", "mount")
		if runtime.GOARCH != "amd64" {
			t.Skip("skipping: runs the amd64 image's go")
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		if o, err := exec.Command("umoci", "unpack", "--image", out+":1.26-linux-amd64", bundle).CombinedOutput(); err != nil {
			t.Fatalf("umoci unpack: %v\n%s", err, o)
		}
		rootfs := filepath.Join(bundle, "rootfs")
		helloInChroot(t, rootfs)
	})
}

// helloInChroot builds and runs a hello world with the go in rootfs, in
// new mount and PID namespaces with /proc, /dev/null and /tmp provided.
func helloInChroot(t *testing.T, rootfs string) {
	t.Helper()
	for _, d := range []string{"proc", "dev", "tmp", "work"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "dev", "null"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	hello := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from gorootimg\") }\n"
	if err := os.WriteFile(filepath.Join(rootfs, "work", "hello.go"), []byte(hello), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `set -e
mount -t proc proc "$R/proc"
mount --bind /dev/null "$R/dev/null"
exec chroot "$R" /usr/local/go/bin/go build -o /work/hello /work/hello.go`
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "sh", "-c", script)
	cmd.Env = []string{"R=" + rootfs, "PATH=/usr/local/go/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOROOT=/usr/local/go", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "HOME=/tmp",
		"GOCACHE=/tmp/gocache", "GOPATH=/tmp/gopath", "GOFLAGS=", "GO111MODULE="}
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in the image: %v\n%s", err, o)
	}
	o, err := exec.Command("chroot", rootfs, "/work/hello").CombinedOutput()
	if err != nil || strings.TrimSpace(string(o)) != "hello from gorootimg" {
		t.Errorf("hello = %q, %v; want \"hello from gorootimg\"", o, err)
	}
}

// TestPushTLSAuth pushes to a registry with TLS and htpasswd auth: with
// credentials from a docker config it works, without them it fails with
// a message that says what to do.
func TestPushTLSAuth(t *testing.T) {
	testenv.NeedTool(t, "docker-registry", "htpasswd")
	bin := gorootimgBin(t)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true, Auth: true})
	ref := reg.Host + "/gorootimg/fake:1.99"
	cache := t.TempDir()
	args := []string{"build", "--go", filepath.Join("testdata", "sdk-linux-amd64"), "--recipe", "full",
		"--platform", "linux/amd64", "-t", ref, "--push", "-q"}
	base := []string{"SSL_CERT_FILE=" + reg.CACert, "GOROOTIMG_CACHE=" + cache}

	_, err := run(t, bin, append(base, "DOCKER_CONFIG="+t.TempDir()), args...)
	want := "no credentials for " + reg.Host + "; run docker login or set DOCKER_CONFIG"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("push without credentials = %v, want an error saying %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(cache, "build")); err == nil {
		t.Errorf("push without credentials wrote layers before failing")
	}

	out, err := run(t, bin, append(base, "DOCKER_CONFIG="+reg.DockerConfig(t)), args...)
	if err != nil {
		t.Fatalf("push with credentials: %v", err)
	}
	if !strings.HasPrefix(out, "sha256:") {
		t.Errorf("stdout = %q, want the index digest", out)
	}
	if _, err := exec.LookPath("skopeo"); err == nil {
		certs := t.TempDir() // skopeo reads *.crt files
		pem, _ := os.ReadFile(reg.CACert)
		os.WriteFile(filepath.Join(certs, "ca.crt"), pem, 0o644)
		raw, err := exec.Command("skopeo", "inspect", "--raw", "--cert-dir", certs,
			"--creds", reg.User+":"+reg.Password, "docker://"+ref).CombinedOutput()
		if err != nil || !strings.Contains(string(raw), "linux") {
			t.Errorf("skopeo inspect of the pushed image: %v\n%s", err, raw)
		}
	}
}

// TestInterruptedBuild stops a build with SIGINT while it writes layers:
// neither the OCI layout nor the tarball may exist afterwards, not even
// under a temporary name.
func TestInterruptedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("skipping: go env GOROOT: %v", err)
	}
	bin := gorootimgBin(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "build", "--go", strings.TrimSpace(string(goroot)), "--recipe", "full",
		"--no-cache", "--oci-layout", filepath.Join(dir, "layout"), "--tarball", filepath.Join(dir, "img.tar"))
	cmd.Env = append(os.Environ(), "GOROOTIMG_CACHE="+filepath.Join(dir, "cache"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The first finished layer is the largest; the others are still being
	// written when it is reported.
	var log bytes.Buffer
	buf := make([]byte, 4096)
	for !strings.Contains(log.String(), " layer: ") {
		n, err := stderr.Read(buf)
		log.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	log.Write(rest)
	err = cmd.Wait()
	if err == nil {
		t.Skipf("skipping: the build finished before the interrupt arrived:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "context canceled") {
		t.Errorf("interrupted build said:\n%s\nwant it to report the cancellation", log.String())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "cache" {
			t.Errorf("interrupted build left %s in the output directory", e.Name())
		}
	}
}
