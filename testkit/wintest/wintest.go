// Package wintest builds a synthetic Windows base image for tests: there is
// no registry with real nanoserver or servercore images here, and no
// Windows host to run one. The base has what a Windows base's structure
// has (a Windows-format layer with Files/Windows/System32/... and Hives/,
// os.version, a Windows PATH and user) and nothing that runs.
package wintest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/layers"
)

// OSVersion is the synthetic base's os.version: a Windows Server 2022
// (ltsc2022) build.
const OSVersion = "10.0.20348.2340"

// baseTime is every entry's and the config's time, so the base's digest
// is the same on every run.
var baseTime = time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)

// Base returns a synthetic windows/amd64 base image: one Windows-format
// layer (Files/Windows/System32/cmd.exe and friends, Hives/*_Delta) and
// the config of a nanoserver (os.version OSVersion, PATH, ContainerUser).
func Base(t testing.TB) v1.Image {
	t.Helper()
	dir := t.TempDir()
	src := func(name, content string) layers.Entry {
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return layers.Entry{Name: name, Src: p, Size: int64(len(content)), Mode: 0o644}
	}
	entries := []layers.Entry{
		src("Files/Windows/System32/cmd.exe", "MZ synthetic cmd.exe: it does not run"),
		src("Files/Windows/System32/kernel32.dll", "MZ synthetic kernel32.dll"),
		{Name: "Files/Windows/System32/config", Mode: fs.ModeDir | 0o755},
		{Name: "Files/Users/ContainerUser", Mode: fs.ModeDir | 0o755},
		src("Hives/DefaultUser_Delta", "regf synthetic"),
		src("Hives/Sam_Delta", "regf synthetic"),
		src("Hives/Software_Delta", "regf synthetic"),
		src("Hives/System_Delta", "regf synthetic"),
	}
	l, err := layers.Write(context.Background(), filepath.Join(dir, "layer.tar.gz"), entries,
		layers.WithWindows(true), layers.WithMTime(baseTime))
	if err != nil {
		t.Fatal(err)
	}
	return image(t, l, func(cf *v1.ConfigFile) {
		cf.OS, cf.Architecture, cf.OSVersion = "windows", "amd64", OSVersion
		cf.Config.Env = []string{`PATH=C:\Windows\system32;C:\Windows`}
		cf.Config.User = "ContainerUser"
		cf.Config.Cmd = []string{`c:\windows\system32\cmd.exe`}
	})
}

// image is an OCI image of the one layer l, its config set by config.
func image(t testing.TB, l *layers.Layer, config func(*v1.ConfigFile)) v1.Image {
	t.Helper()
	v1l, err := l.V1()
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.Append(img, mutate.Addendum{Layer: v1l, MediaType: types.OCILayer}); err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: baseTime}
	config(cf)
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// Linux returns a tiny linux/amd64 image (one file, /etc/os-release), the
// other half of a mixed base index.
func Linux(t testing.TB) v1.Image {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "os-release")
	content := "ID=synthetic\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := layers.Write(context.Background(), filepath.Join(dir, "layer.tar.gz"),
		[]layers.Entry{{Name: "etc/os-release", Src: p, Size: int64(len(content)), Mode: 0o644}}, layers.WithMTime(baseTime))
	if err != nil {
		t.Fatal(err)
	}
	return image(t, l, func(cf *v1.ConfigFile) {
		cf.OS, cf.Architecture = "linux", "amd64"
		cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	})
}

// Index returns an index of the images given, each under its config's
// platform (os.version included), as a multi-platform base is.
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, OSVersion: cf.OSVersion}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(idx, adds...)
}
