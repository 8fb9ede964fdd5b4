package warmcache

import (
	"os"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCheckHost(t *testing.T) {
	if os.Geteuid() != 0 {
		if err := CheckHost(v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}); err == nil || !strings.Contains(err.Error(), "needs root") {
			t.Errorf("CheckHost(host) as uid %d = %v, want it to need root", os.Geteuid(), err)
		}
		t.Skip("skipping the rest: it needs root; CI runs as root")
	}
	for _, tc := range []struct {
		p    v1.Platform
		want string // "" = nil error
	}{
		{v1.Platform{OS: "windows", Architecture: "amd64"}, "only linux images"},
		{v1.Platform{OS: "linux", Architecture: "wasm"}, "no ELF header"},
	} {
		if err := CheckHost(tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckHost(%s/%s) = %v, want an error containing %q", tc.p.OS, tc.p.Architecture, err, tc.want)
		}
	}
	if runtime.GOOS == "linux" {
		if err := CheckHost(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}); err != nil {
			t.Errorf("CheckHost(linux/%s) on this host = %v, want nil", runtime.GOARCH, err)
		}
	}
}
