package assemble

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/layers"
)

// TestSameKeyConcurrently runs two jobs of one key at once, as the two
// platforms of a multi-platform build on a base do with their reset layer:
// both must store the layer. With one temporary path per key, one job's
// putLayer moved the other's file away ("storing layer: rename ...: no
// such file or directory", seen in CI).
func TestSameKeyConcurrently(t *testing.T) {
	for i := range 40 {
		st, done, err := newStore(filepath.Join(t.TempDir(), "cache"))
		if err != nil {
			t.Fatal(err)
		}
		g := resetGroup("/usr/local/go")
		mk := func() *layerJob {
			return &layerJob{key: "0123456789abcdef0123456789abcdef", group: g, label: g.Name, platform: "linux/amd64", mtime: time.Unix(1, 0)}
		}
		jobs := []*layerJob{mk(), mk()}
		var wg sync.WaitGroup
		errs := make([]error, len(jobs))
		for k, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[k] = j.run(context.Background(), Options{Compression: layers.Gzip}, st)
			}()
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Fatalf("round %d, job %d: %v", i, k, err)
			}
			if err := jobs[k].done.Layer.Check(); err != nil {
				t.Fatalf("round %d, job %d: stored layer: %v", i, k, err)
			}
		}
		if err := done(); err != nil {
			t.Fatal(err)
		}
	}
}
