// Package sdktest gets real Go releases for tests: through the module
// proxy and checksum database the go command on PATH is configured with,
// into the gorootimg cache, skipping the test when the proxy is
// unreachable or in -short mode.
package sdktest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/sdk"
)

// Options returns EnvOptions: the go command's module proxy and checksum
// database (with the database's key from that Go installation), caching
// under CacheDir. It skips t when there is no go command or its module
// proxy does not answer.
func Options(t testing.TB) sdk.Options {
	t.Helper()
	o := EnvOptions(t)
	proxy, _, _ := strings.Cut(strings.Split(o.GOPROXY, ",")[0], "|")
	if !strings.HasPrefix(proxy, "http") {
		t.Skipf("skipping: GOPROXY %q has no module proxy", o.GOPROXY)
	}
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(proxy, "/") + "/golang.org/toolchain/@v/list")
	if err != nil {
		t.Skipf("skipping: the module proxy is unreachable: %v", err)
	}
	resp.Body.Close()
	return o
}

// Release resolves the release spec ("1.26", "go1.22.12") for platform p
// (the host's when zero) with Options, skipping in -short mode.
func Release(t testing.TB, spec string, p v1.Platform) (*sdk.SDK, sdk.Options) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: fetches a real Go release (-short)")
	}
	o := Options(t)
	if p.OS == "" {
		p = imageref.HostPlatform()
	}
	sdks, err := sdk.Resolve(context.Background(), spec, []v1.Platform{p}, o)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", spec, err)
	}
	return sdks[0], o
}
