package imageconfig

import (
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestConfigWindows(t *testing.T) {
	base := &v1.ConfigFile{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.2340",
		Config: v1.Config{Env: []string{`Path=C:\Windows\system32;C:\Windows`, "GOROOT=/usr/local/go"}, User: "ContainerUser"}}
	m := Meta{GoVersion: "go1.26.11", Created: time.Unix(1, 0), Platform: v1.Platform{OS: "windows", Architecture: "amd64"}, User: "65532"}
	m.Platform.OSVersion = base.OSVersion
	cf := Config(base, m)
	want := []string{
		`PATH=C:\go\bin;C:\Program Files\Go\bin;C:\Windows\system32;C:\Windows`,
		`GOROOT=C:\Program Files\Go`,
		`GOPATH=C:\go`,
		"GOTOOLCHAIN=local",
	}
	if !slices.Equal(cf.Config.Env, want) {
		t.Errorf("Config(windows).Env = %q, want %q", cf.Config.Env, want)
	}
	if cf.OSVersion != "10.0.20348.2340" || cf.OS != "windows" {
		t.Errorf("Config(windows) platform = %s %s, want windows 10.0.20348.2340", cf.OS, cf.OSVersion)
	}
	if cf.Config.User != "ContainerUser" || cf.Config.WorkingDir != "" {
		t.Errorf("Config(windows) user, dir = %q, %q; want the base's ContainerUser and none", cf.Config.User, cf.Config.WorkingDir)
	}
	if got := cf.Config.Labels[LabelGOROOT]; got != `C:\Program Files\Go` {
		t.Errorf("Config(windows) GOROOT label = %q", got)
	}
}
