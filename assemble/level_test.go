package assemble

import (
	"context"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/layers"
)

// TestCompressionLevel builds the fake SDK at two zstd levels, each twice
// with no shared cache: each level's digests repeat, the two differ, and a
// cache holding one level's layers is not reused for the other.
func TestCompressionLevel(t *testing.T) {
	digests := map[int]string{}
	for _, level := range []int{3, layers.ZstdMaxLevel} {
		var got []string
		for range 2 {
			res := buildFake(t, Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{Compression: layers.Zstd, CompressionLevel: level}})
			got = append(got, digestsOf(t, res.Index).Index)
		}
		if got[0] != got[1] {
			t.Errorf("zstd level %d: index %s then %s, want the same digest", level, got[0], got[1])
		}
		digests[level] = got[0]
	}
	if digests[3] == digests[layers.ZstdMaxLevel] {
		t.Errorf("zstd levels 3 and %d give the same index %s", layers.ZstdMaxLevel, digests[3])
	}

	cache := t.TempDir()
	o := Options{SDKs: fakeSDKs(t, "amd64"), CacheDir: cache, Resolved: imagespec.Resolved{Compression: layers.Zstd, CompressionLevel: 3}}
	buildFake(t, o)
	o.CompressionLevel = 19
	if res := buildFake(t, o); res.Reused {
		t.Error("zstd level 19 build reused the level 3 build's layers")
	}

	_, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), Resolved: imagespec.Resolved{CompressionLevel: 22}})
	if err == nil || !strings.Contains(err.Error(), "level") {
		t.Errorf("Assemble(gzip level 22) = %v, want a level error", err)
	}
}
