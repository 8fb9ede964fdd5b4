package imageconfig

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
)

func TestCreated(t *testing.T) {
	release := time.Date(2025, 2, 4, 20, 39, 4, 0, time.UTC)
	epoch := time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name    string
		epoch   time.Time
		release time.Time
		want    time.Time
		wantErr bool
	}{
		{"release time", time.Time{}, release, release, false},
		{"epoch wins, in UTC to the second", epoch, release, time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC), false},
		{"epoch without release time", epoch, time.Time{}, time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC), false},
		{"neither", time.Time{}, time.Time{}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Created(tc.epoch, goroot.Tree{Dir: "/sdk", Time: tc.release})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "/sdk has no release time in VERSION; set SOURCE_DATE_EPOCH") {
					t.Errorf("Created(%v, %v) = %v, %v; want the no-release-time error", tc.epoch, tc.release, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Created(%v, %v) = %v, %v; want %v", tc.epoch, tc.release, got, err, tc.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	created := time.Date(2025, 2, 4, 20, 39, 4, 0, time.UTC)
	m := Meta{GoVersion: "go1.22.12", GOROOT: "/opt/go", Created: created, Recipe: "ci",
		Platform: v1.Platform{OS: "linux", Architecture: "arm64"}}
	base := &v1.ConfigFile{Config: v1.Config{
		Env:    []string{"PATH=/usr/bin:/bin", "GOROOT=/old", "LANG=C"},
		Labels: map[string]string{"maintainer": "base", LabelSDKHash: "from-base", LabelOCIBaseName: "old", LabelWarmCache: "std"},
	}, Variant: "v8"}
	ref := &imageref.Ref{Kind: imageref.KindRemote, Name: "image:registry.example/debian:12", Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}}
	cf := Config(base, m.WithBase(ref, base))
	wantEnv := []string{"LANG=C", "PATH=/go/bin:/opt/go/bin:/usr/bin:/bin", "GOROOT=/opt/go", "GOPATH=/go", "GOTOOLCHAIN=local", "GOENV=/tmp/.config/go/env", "GOCACHE=/go/.cache/go-build"}
	if strings.Join(cf.Config.Env, " ") != strings.Join(wantEnv, " ") {
		t.Errorf("Config env = %q, want %q", cf.Config.Env, wantEnv)
	}
	l := cf.Config.Labels
	if l["maintainer"] != "base" || l[LabelGoVersion] != "go1.22.12" || l[LabelOCIVersion] != "1.22.12" ||
		l[LabelGOROOT] != "/opt/go" || l[LabelRecipe] != "ci" || l[LabelOCIBaseName] != "registry.example/debian:12" {
		t.Errorf("Config labels = %v", l)
	}
	if l[LabelOCIBaseDigest] != ref.Digest.String() {
		t.Errorf("base digest label = %q, want %s", l[LabelOCIBaseDigest], ref.Digest)
	}
	for _, k := range []string{LabelSDKHash, LabelWarmCache} {
		if _, ok := l[k]; ok {
			t.Errorf("Config kept the base's %s label", k)
		}
	}
	m.WarmCache = []string{"std", "race"}
	if got := Labels(m)[LabelWarmCache]; got != "std,race" {
		t.Errorf("Labels(WarmCache std, race)[%s] = %q, want std,race", LabelWarmCache, got)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "v8" || !cf.Created.Time.Equal(created) {
		t.Errorf("Config platform/time = %s/%s/%s %v", cf.OS, cf.Architecture, cf.Variant, cf.Created)
	}
	if base.Config.Labels[LabelSDKHash] != "from-base" {
		t.Errorf("Config changed the base config")
	}
}
