//go:build unix

package prefetch

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// releases are the --go and --platform values the end-to-end tests
// resolve (host is replaced by the host's platform): test/engines and
// assemble's 1.26.11 for both platforms, the fidelity test's oldest line,
// TestIssueNumbers' 1.22.12.
var releases = []struct{ spec, platforms string }{
	{"1.26.11", "host,linux/arm64"},
	{"1.21", "host"},
	{"1.22.12", "linux/amd64"},
}

func TestPrefetch(t *testing.T) {
	if os.Getenv("GOROOTIMG_PREFETCH") != "1" {
		t.Skip("skipping: .ci/run sets GOROOTIMG_PREFETCH=1 to fill the fixture store while apt-get runs")
	}
	bin := fixture.Binary(t)
	t.Run("sdks", func(t *testing.T) {
		t.Parallel()
		for _, r := range releases {
			plats := strings.ReplaceAll(r.platforms, "host", runtime.GOOS+"/"+runtime.GOARCH)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			start := time.Now()
			out, err := exec.CommandContext(ctx, bin, "sdk", "--go", r.spec, "--platform", plats).CombinedOutput()
			cancel()
			if err != nil {
				t.Errorf("gorootimg sdk --go %s --platform %s: %v\n%s", r.spec, plats, err, out)
				continue
			}
			t.Logf("gorootimg sdk --go %s --platform %s (%v): %s", r.spec, plats, time.Since(start).Round(time.Second), strings.TrimSpace(string(out)))
		}
	})
	t.Run("buildkit", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		d, c := buildkittest.Binaries(t)
		t.Logf("%s, %s (%v)", d, c, time.Since(start).Round(time.Second))
	})
	t.Run("crictl", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		t.Logf("%s (%v)", crictl(t), time.Since(start).Round(time.Second))
	})
}
