package assemble

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/internal/sandbox"
	"github.com/gorootimg/gorootimg/warmcache"
)

// TestWarmFails warms the fake SDK, whose go command cannot run in its
// scratch image: the build fails naming the step, and the cache holds no
// warm-cache layer afterwards.
func TestWarmFails(t *testing.T) {
	if os.Geteuid() != 0 || sandbox.CheckTools() != nil {
		t.Skip("skipping: the warm-cache sandbox needs root, unshare and mount; CI runs as root")
	}
	cache := t.TempDir()
	_, err := Assemble(context.Background(), Options{SDKs: fakeSDKs(t, "amd64"), CacheDir: cache, Resolved: imagespec.Resolved{WarmCache: []warmcache.Variant{warmcache.Std}}})
	if err == nil || !strings.Contains(err.Error(), "warming the build cache for linux/amd64") {
		t.Fatalf("Build(--warm-cache std, fake go) = %v, want a warm-cache error", err)
	}
	t.Logf("error: %v", err)
	warm, _ := filepath.Glob(filepath.Join(cache, "layers", "*.warm.json"))
	if len(warm) > 0 {
		t.Errorf("failed warm left records in the cache: %v", warm)
	}
}
