package sdk

import (
	"context"
	"go/version"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	v1AMD64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	v1ARM64   = v1.Platform{OS: "linux", Architecture: "arm64"}
	v1Darwin  = v1.Platform{OS: "darwin", Architecture: "arm64"}
	v1Windows = v1.Platform{OS: "windows", Architecture: "amd64"}
)

// testList is a version list with three final lines, a release candidate
// of the next, a patch served for one platform only and an old release
// named the pre-1.21 way.
var testList = []string{
	"v0.0.1-go1.27rc1.linux-amd64", "v0.0.1-go1.27rc1.linux-arm64",
	"v0.0.1-go1.26.11.linux-amd64",
	"v0.0.1-go1.26.10.linux-amd64", "v0.0.1-go1.26.10.linux-arm64", "v0.0.1-go1.26.10.darwin-arm64",
	"v0.0.1-go1.26.0.linux-amd64", "v0.0.1-go1.26.0.linux-arm64",
	"v0.0.1-go1.25.3.linux-amd64", "v0.0.1-go1.25.3.linux-arm64",
	"v0.0.1-go1.25.4.linux-amd64", "v0.0.1-go1.25.4.linux-arm64", "v0.0.1-go1.25.4.windows-amd64",
	"v0.0.1-go1.24.13.linux-amd64",
	"v0.0.1-go1.20.linux-amd64",
	"garbage", "v0.0.1-go1.26.10.linux-amd64",
}

func testReleases(t *testing.T) []Release {
	t.Helper()
	rels, err := groupReleases(parseList([]byte(strings.Join(testList, "\n"))))
	if err != nil {
		t.Fatal(err)
	}
	return rels
}

func TestGroupReleases(t *testing.T) {
	rels := testReleases(t)
	type row struct {
		v         string
		ps        []v1.Platform
		supported bool
	}
	want := []row{
		{"go1.27rc1", []v1.Platform{v1AMD64, v1ARM64}, false},
		{"go1.26.11", []v1.Platform{v1AMD64}, true},
		{"go1.26.10", []v1.Platform{v1Darwin, v1AMD64, v1ARM64}, true},
		{"go1.26.0", []v1.Platform{v1AMD64, v1ARM64}, true},
		{"go1.25.4", []v1.Platform{v1AMD64, v1ARM64, v1Windows}, true},
		{"go1.25.3", []v1.Platform{v1AMD64, v1ARM64}, true},
		{"go1.24.13", []v1.Platform{v1AMD64}, false},
		{"go1.20", []v1.Platform{v1AMD64}, false},
	}
	var got []row
	for _, r := range rels {
		got = append(got, row{r.Version, r.Platforms, r.Supported})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groupReleases =\n%v\nwant\n%v", got, want)
	}
}

func TestChooseRelease(t *testing.T) {
	rels := testReleases(t)
	both := []v1.Platform{v1AMD64, v1ARM64}
	for _, tc := range []struct {
		spec string
		ps   []v1.Platform
		want string
		err  string
	}{
		{"1.26", []v1.Platform{v1AMD64}, "go1.26.11", ""},
		{"1.26", both, "go1.26.10", ""}, // 1.26.11 is not served for arm64 yet
		{"go1.26", both, "go1.26.10", ""},
		{"1.25.3", both, "go1.25.3", ""},
		{"1.27rc1", both, "go1.27rc1", ""},
		{"1.20", nil, "go1.20", ""},
		{"1.24", []v1.Platform{{OS: "linux", Architecture: "amd64", Variant: "v3"}}, "go1.24.13", ""},
		{"1.27", both, "", "1.27: no Go release 1.27; newest is 1.26.11"},
		{"1.24", both, "", "1.24: no release is served for linux/amd64, linux/arm64; go1.24.13 is served for linux/amd64"},
		{"1.25.9", both, "", "1.25.9: no such release; newest 1.25 is 1.25.4"},
		{"1.19.1", both, "", "1.19.1: no such release; newest is 1.26.11"},
		{"1.25.3", []v1.Platform{v1Windows}, "", "1.25.3: go1.25.3 is not served for windows/amd64; it is served for linux/amd64, linux/arm64"},
		{"latest", both, "", `"latest": not a Go release or line such as 1.26 or 1.25.3`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ChooseRelease(rels, tc.spec, tc.ps)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ChooseRelease(%q, %v) error = %v, want %q", tc.spec, tc.ps, err, tc.err)
				}
				return
			}
			if err != nil || got.Version != tc.want {
				t.Fatalf("ChooseRelease(%q, %v) = %q, %v; want %q", tc.spec, tc.ps, got.Version, err, tc.want)
			}
		})
	}
}

func TestIsReleaseSpec(t *testing.T) {
	for in, want := range map[string]bool{"1.26": true, "go1.25.3": true, " 1.27rc1 ": true, "supported": false, "1": false, "1.26.x": false} {
		if got := IsReleaseSpec(in); got != want {
			t.Errorf("IsReleaseSpec(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSupportedReleases(t *testing.T) {
	rels := testReleases(t)
	for _, tc := range []struct {
		name string
		ps   []v1.Platform
		want []string
		err  string
	}{
		{"amd64", []v1.Platform{v1AMD64}, []string{"go1.26.11", "go1.25.4"}, ""},
		{"both", []v1.Platform{v1AMD64, v1ARM64}, []string{"go1.26.10", "go1.25.4"}, ""},
		{"windows", []v1.Platform{v1Windows}, nil, "1.26: no release is served for windows/amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SupportedReleases(rels, tc.ps)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("SupportedReleases(%v) error = %v, want %q", tc.ps, err, tc.err)
				}
				return
			}
			var vs []string
			for _, r := range got {
				vs = append(vs, r.Version)
			}
			if err != nil || !reflect.DeepEqual(vs, tc.want) {
				t.Fatalf("SupportedReleases(%v) = %v, %v; want %v", tc.ps, vs, err, tc.want)
			}
		})
	}
	if _, err := SupportedReleases(nil, nil); err == nil {
		t.Errorf("SupportedReleases(no releases) succeeded, want an error")
	}
}

// serveList makes fp list exactly these toolchain versions; only the
// version list is read, so the zips stay empty.
func serveList(fp *fakeProxy, versions ...string) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	for _, v := range versions {
		fp.zips[v] = nil
	}
}

func TestListReleases(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	serveList(fp, testList[:len(testList)-2]...)
	cache := tempCache(t)
	rels, err := ListReleases(ctx, fp.options(cache))
	if err != nil {
		t.Fatalf("ListReleases: %v", err)
	}
	if len(rels) != 8 || rels[0].Version != "go1.27rc1" || !rels[1].Supported || rels[1].Version != "go1.26.11" {
		t.Fatalf("ListReleases = %+v", rels)
	}
	if n := fp.count("/" + toolchainModule + "/@v/list"); n != 1 {
		t.Errorf("ListReleases asked for the version list %d times, want 1", n)
	}
	for _, r := range rels {
		if len(r.Platforms) == 0 {
			t.Errorf("release %s lists no platform", r.Version)
		}
	}

	// With the proxy failing, the cached list serves, with a note.
	fp.mu.Lock()
	fp.status["/@v/list"] = 500
	fp.mu.Unlock()
	o := fp.options(cache)
	var notes []string
	o.Logf = func(format string, args ...any) { notes = append(notes, format) }
	again, err := ListReleases(ctx, o)
	if err != nil || !reflect.DeepEqual(again, rels) {
		t.Fatalf("ListReleases from the cached list = %v, %v; want the same releases", again, err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "cached") {
		t.Errorf("notes = %q, want one about the cached list", notes)
	}
	// Without a cached list the proxy's error comes through.
	if _, err := ListReleases(ctx, fp.options(tempCache(t))); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Errorf("ListReleases with the proxy failing and no cache: error = %v, want the 500", err)
	}
}

func TestListReleasesConfig(t *testing.T) {
	ctx := context.Background()
	fp := newFakeProxy(t)
	serveList(fp, "v0.0.1-go1.26.1.linux-amd64")
	for _, tc := range []struct {
		name  string
		setup func(o *Options)
		want  string
	}{
		{"gosumdb off", func(o *Options) { o.GOSUMDB = "off" }, "GOSUMDB=off"},
		{"gosumdb name only", func(o *Options) { o.GOSUMDB = "sum.example.test" }, "no verifier key"},
		{"goproxy unset", func(o *Options) { o.GOPROXY = "" }, "GOPROXY is not set"},
		{"goproxy off", func(o *Options) { o.GOPROXY = "off" }, "disabled by GOPROXY=off"},
		{"goproxy direct", func(o *Options) { o.GOPROXY = "direct" }, `reached "direct"`},
		{"goprivate", func(o *Options) { o.GOPRIVATE = "golang.org/*" }, "GONOPROXY/GOPRIVATE match"},
		{"no cache dir", func(o *Options) { o.CacheDir = "" }, "no cache directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fp.options(tempCache(t))
			tc.setup(&o)
			before := fp.count("/" + toolchainModule + "/@v/list")
			_, err := ListReleases(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ListReleases error = %v, want %q", err, tc.want)
			}
			if after := fp.count("/" + toolchainModule + "/@v/list"); after != before {
				t.Errorf("ListReleases asked the proxy despite the configuration error")
			}
		})
	}
}

// TestRealReleaseList reads the real golang.org/toolchain version list: it
// must hold two supported final lines, each served for linux/amd64 and
// linux/arm64.
func TestRealReleaseList(t *testing.T) {
	o := realOptions(t)
	skipUnlessProxy(t, o)
	o.CacheDir = t.TempDir() // no cached list to fall back on
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rels, err := ListReleases(ctx, o)
	if err != nil {
		t.Fatalf("ListReleases: %v", err)
	}
	ps := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	sup, err := SupportedReleases(rels, ps)
	if err != nil {
		t.Fatalf("SupportedReleases: %v", err)
	}
	if len(sup) != SupportedLines || version.Compare(sup[0].Line(), sup[1].Line()) <= 0 || version.Compare(sup[1].Line(), "go1.21") < 0 {
		t.Fatalf("SupportedReleases = %+v, want two lines newer than go1.21, newest first", sup)
	}
	for _, r := range sup {
		if !r.Supported || !r.Final() {
			t.Errorf("supported release %+v is not marked supported and final", r)
		}
	}
	t.Logf("%d releases; supported: %s, %s", len(rels), sup[0].Version, sup[1].Version)
}
