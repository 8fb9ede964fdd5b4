package hostile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gorootimg/gorootimg/testkit/faultproxy"
	"github.com/gorootimg/gorootimg/testkit/testenv"
)

// Expectations of a push through a fault.
const (
	mustSucceed = "succeeds" // the fault is transient: retries get through
	mustFail    = "fails"    // the fault is permanent: a clear error, exit 1
)

// Paths of the registry API, for rules.
const (
	pathUpload   = `/v2/.+/blobs/uploads/`
	pathBlob     = `/v2/.+/blobs/sha256:[0-9a-f]{64}$`
	pathManifest = `/v2/.+/manifests/`
)

// TestPushFaults pushes a new image over an old one through a proxy that
// injects one fault per case. Whatever happens, the tag must afterwards be
// the old image or the new one, complete: every manifest and blob it
// references present and matching its digest. Transient faults must be
// retried through; permanent ones must fail with a clear error.
func TestPushFaults(t *testing.T) {
	testenv.NeedTool(t, "docker-registry")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	direct := &registryClient{base: "http://" + reg.Host}
	work := t.TempDir()
	env := []string{"GOROOTIMG_CACHE=" + filepath.Join(work, "cache")}
	const size = 3 << 20 // the go binary: a 3 MiB layer, cut in the middle below

	cases := []struct {
		name   string
		rule   faultproxy.Rule
		expect string
		// want is a substring of stderr on failure.
		want string
		// base builds on a base image read through the proxy.
		base bool
		// sdkImage takes the SDK from an image read through the proxy
		// (--go image:REF) instead of a release archive.
		sdkImage bool
	}{
		{"blob upload: 500 twice", faultproxy.Rule{Method: "PATCH", Path: pathUpload, Times: 2, Fault: faultproxy.Fail(500)}, mustSucceed, "", false, false},
		{"blob upload start: 502 once", faultproxy.Rule{Method: "POST", Path: pathUpload, Times: 1, Fault: faultproxy.Fail(502)}, mustSucceed, "", false, false},
		{"blob upload end: 503 with Retry-After", faultproxy.Rule{Method: "PUT", Path: pathUpload, Times: 1, Fault: faultproxy.FailRetryAfter(503, "1")}, mustSucceed, "", false, false},
		{"blob exists check: 429 with Retry-After twice", faultproxy.Rule{Method: "HEAD", Path: pathBlob, Times: 2, Fault: faultproxy.FailRetryAfter(429, "1")}, mustSucceed, "", false, false},
		{"blob exists check: 429 without Retry-After", faultproxy.Rule{Method: "HEAD", Path: pathBlob, Times: 1, Fault: faultproxy.Fail(429)}, mustSucceed, "", false, false},
		{"manifest put: 500 once", faultproxy.Rule{Method: "PUT", Path: pathManifest, Times: 1, Fault: faultproxy.Fail(500)}, mustSucceed, "", false, false},
		{"blob upload: connection reset", faultproxy.Rule{Method: "PATCH", Path: pathUpload, Times: 1, Fault: faultproxy.ResetConn()}, mustSucceed, "", false, false},
		{"blob upload: stall 2s", faultproxy.Rule{Method: "PATCH", Path: pathUpload, Times: 1, Fault: faultproxy.StallFor(2 * time.Second)}, mustSucceed, "", false, false},
		{"manifest put: 502 always", faultproxy.Rule{Method: "PUT", Path: pathManifest, Fault: faultproxy.Fail(502)}, mustFail, "502", false, false},
		{"tag put: 503 always", faultproxy.Rule{Method: "PUT", Path: `/v2/.+/manifests/[^s][^h]`, Fault: faultproxy.Fail(503)}, mustFail, "503", false, false},
		{"blob upload: 500 always", faultproxy.Rule{Method: "PATCH", Path: pathUpload, Fault: faultproxy.Fail(500)}, mustFail, "500", false, false},
		{"blob upload: connection reset always", faultproxy.Rule{Method: "PATCH", Path: pathUpload, Fault: faultproxy.ResetConn()}, mustFail, "blob", false, false},
		{"base pull: manifest 503 once", faultproxy.Rule{Method: "GET", Path: `/v2/base/.+/manifests/`, Times: 1, Fault: faultproxy.Fail(503)}, mustSucceed, "", true, false},
		{"base pull: layer reset after 64 KiB once", faultproxy.Rule{Method: "GET", Path: `/v2/base/.+/blobs/sha256:`, Times: 1, Fault: faultproxy.ResetAfter(64 << 10)}, mustSucceed, "", true, false},
		{"base pull: layer reset after 64 KiB always", faultproxy.Rule{Method: "GET", Path: `/v2/base/.+/blobs/sha256:`, Fault: faultproxy.ResetAfter(64 << 10)}, mustFail, "", true, false},
		{"base pull: a corrupted layer byte always", faultproxy.Rule{Method: "GET", Path: `/v2/base/.+/blobs/sha256:`, Fault: faultproxy.CorruptAt(1000)}, mustFail, "", true, false},
		{"SDK image pull (--go image:): a corrupted layer byte always", faultproxy.Rule{Method: "GET", Path: `/v2/sdkimg/.+/blobs/sha256:`, Fault: faultproxy.CorruptAt(1000)}, mustFail, "", false, true},
		{"SDK image pull (--go image:): 503 on a layer once", faultproxy.Rule{Method: "GET", Path: `/v2/sdkimg/.+/blobs/sha256:`, Times: 1, Fault: faultproxy.Fail(503)}, mustSucceed, "", false, true},
	}

	// The old image every case starts from, and a base image.
	p := faultproxy.Start(t, "http://"+reg.Host)
	baseImg, err := random.Image(1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	baseRef, err := name.ParseReference(reg.Host + "/base/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(baseRef, baseImg); err != nil {
		t.Fatal(err)
	}
	// An SDK image, for --go image:REF.
	sdkArchive := fakeRelease(t, work, 2, size)
	if r := gorootimgRun(t, context.Background(), env, nil, "build", "-q", "--go", sdkArchive, "--platform", "linux/amd64", "--recipe", "full", "-t", reg.Host+"/sdkimg/go:1", "--push"); r.code != 0 {
		t.Fatalf("pushing the SDK image: %v", r)
	}
	oldArchive := fakeRelease(t, work, 1, size)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := fmt.Sprintf("faults/case%d", i)
			ref := p.Host() + "/" + repo + ":v1"
			p.SetRules()
			if r := gorootimgRun(t, ctx, env, nil, "build", "-q", "--go", oldArchive, "--platform", "linux/amd64", "--recipe", "full", "-t", ref, "--push"); r.code != 0 {
				t.Fatalf("pushing the old image: %v", r)
			}
			oldDigest, problems := direct.tagState(repo, "v1")
			if len(problems) > 0 || oldDigest == "" {
				t.Fatalf("old image: %s %v", oldDigest, problems)
			}
			newArchive := fakeRelease(t, t.TempDir(), int64(100+i), size)
			var extra []string
			if tc.base {
				extra = []string{"--base", p.Host() + "/base/img:1"}
			}
			caseEnv := env
			if tc.sdkImage {
				// The SDK comes from the image: a cache of its own, so the
				// check below sees whether the damaged SDK was kept.
				newArchive = "image:" + p.Host() + "/sdkimg/go:1"
				caseEnv = []string{"GOROOTIMG_CACHE=" + filepath.Join(t.TempDir(), "cache")}
			}
			newDigest := layoutDigest(t, env, newArchive, extra...)

			rule := tc.rule
			rule.Name = tc.name
			if err := p.SetRules(rule); err != nil {
				t.Fatal(err)
			}
			r := gorootimgRun(t, ctx, caseEnv, nil, append([]string{"build", "-q", "--go", newArchive, "--platform", "linux/amd64", "--recipe", "full", "-t", ref, "--push"}, extra...)...)
			hits := p.Hits(tc.name)
			p.SetRules()
			got, problems := direct.tagState(repo, "v1")

			if hits == 0 {
				t.Errorf("the fault never fired (rule %+v); the case shows nothing", rule)
			}
			if len(problems) > 0 {
				t.Errorf("after the push (%v) the tag is broken: %v", r, problems)
			}
			if r.code == 0 && got != newDigest {
				t.Errorf("push succeeded but the tag is %s, want the new image %s", got, newDigest)
			}
			if r.code != 0 && got != oldDigest && got != newDigest {
				t.Errorf("push failed and the tag is %s: neither the old %s nor the new %s", got, oldDigest, newDigest)
			}
			if len(r.tmpLeft) > 0 {
				t.Errorf("the push left temporary files: %v", r.tmpLeft)
			}
			for _, e := range caseEnv {
				cache := strings.TrimPrefix(e, "GOROOTIMG_CACHE=")
				if l := leftovers(cache); len(l) > 0 {
					t.Errorf("the push left files in the cache's temporary directories: %v", l)
				}
				if ts, _ := os.ReadDir(filepath.Join(cache, "sdk")); tc.sdkImage && r.code != 0 && len(ts) > 0 {
					t.Errorf("a failed build from a damaged SDK image kept %d SDK trees in its cache", len(ts))
				}
			}
			switch tc.expect {
			case mustSucceed:
				if r.code != 0 {
					t.Errorf("push through a transient fault: %v; want success after retries", r)
				}
			case mustFail:
				if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("push through a permanent fault: %v; want exit 1 and an error naming %q", r, tc.want)
				}
			}
			outcome := "pushed after retries"
			if r.code != 0 {
				outcome = "failed cleanly: " + truncate(lastLine(r.stderr), 160)
			}
			state := "new image, complete"
			if got == oldDigest {
				state = "old image, complete"
			}
			if len(problems) > 0 {
				state = "BROKEN"
			}
			t.Logf("ROW\t%s (fired %d×)\t%s\t%s", tc.name, hits, outcome, state)
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
