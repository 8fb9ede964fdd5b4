package verify

import (
	"slices"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/probes"
)

func TestWithProbes(t *testing.T) {
	for _, tc := range []struct {
		names   []string
		caps    []probes.Capability
		subset  []string
		want    []string
		wantErr string
	}{
		{names: []string{"build"}, caps: []probes.Capability{probes.Build}, want: []string{"build"}},
		// Suite order, whatever the order asked; a probe the capabilities
		// do not select stays out.
		{names: []string{"run", "build", "race"}, caps: []probes.Capability{probes.Build}, want: []string{"build", "run"}},
		// Within the foreign subset only.
		{names: []string{"build", "foreign/build"}, caps: []probes.Capability{probes.Build}, subset: []string{"foreign/build", "run"}, want: []string{"foreign/build"}},
		{names: []string{"race"}, caps: []probes.Capability{probes.Build}, want: []string{}},
		{names: []string{"nosuch"}, wantErr: `no probe named "nosuch"; the probes are: build, install, run, `},
	} {
		var o options
		err := WithProbes(tc.names...)(&o)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("WithProbes(%q) = %v, want an error containing %q", tc.names, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("WithProbes(%q) = %v", tc.names, err)
		}
		v := &verifier{opts: o}
		if got := v.selected(tc.caps, tc.subset); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("WithProbes(%q) with %v, subset %q selects %q, want %q", tc.names, tc.caps, tc.subset, got, tc.want)
		}
	}
}

func TestWithReferenceBuildCache(t *testing.T) {
	var o options
	if err := WithReferenceBuildCache("rel/dir")(&o); err == nil {
		t.Error("WithReferenceBuildCache(a relative path) = nil, want an error")
	}
	if err := WithReferenceBuildCache("/abs/dir")(&o); err != nil || o.refGOCACHE != "/abs/dir" {
		t.Errorf("WithReferenceBuildCache(/abs/dir) = %v, refGOCACHE %q", err, o.refGOCACHE)
	}
}
