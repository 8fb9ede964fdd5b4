package wincheck_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/testkit/wintest"
	"github.com/gorootimg/gorootimg/wincheck"
)

// goLayer is a layer with go.exe and the default tools at
// C:\Program Files\Go, in the Windows form when windows is set.
func goLayer(t *testing.T, root string, windows bool) v1.Layer {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "exe")
	if err := os.WriteFile(src, []byte("MZ"), 0o644); err != nil {
		t.Fatal(err)
	}
	var es []layers.Entry
	for _, n := range []string{"bin/go.exe", "pkg/tool/windows_amd64/compile.exe", "pkg/tool/windows_amd64/link.exe", "pkg/tool/windows_amd64/asm.exe"} {
		es = append(es, layers.Entry{Name: root + "/" + n, Src: src, Size: 2, Mode: 0o755})
	}
	l, err := layers.Write(context.Background(), filepath.Join(dir, "l"), es, layers.WithWindows(windows))
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.V1()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// withGo is base with l on top and a Windows Go Env; edit changes the
// config last.
func withGo(t *testing.T, base v1.Image, l v1.Layer, edit func(*v1.ConfigFile)) v1.Image {
	t.Helper()
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, MediaType: types.OCILayer})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Env = []string{`PATH=C:\go\bin;C:\Program Files\Go\bin;C:\Windows\system32;C:\Windows`, `GOROOT=C:\Program Files\Go`, `GOPATH=C:\go`}
	if edit != nil {
		edit(cf)
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImage(t *testing.T) {
	base := wintest.Base(t)
	baseCfg, err := base.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	good := goLayer(t, "Files/Program Files/Go", true)
	for _, tc := range []struct {
		name string
		img  v1.Image
		want string // "" for no error
	}{
		{"good", withGo(t, base, good, nil), ""},
		{"no security descriptor", withGo(t, base, goLayer(t, "Files/Program Files/Go", false), nil), "no MSWINDOWS.rawsd record"},
		{"linux form", withGo(t, base, goLayer(t, "Program Files/Go", false), nil), "not below Files/ or Hives/"},
		{"unix GOROOT", withGo(t, base, good, func(cf *v1.ConfigFile) { cf.Config.Env[1] = "GOROOT=/usr/local/go" }), "Env GOROOT"},
		{"unix PATH", withGo(t, base, good, func(cf *v1.ConfigFile) {
			cf.Config.Env[0] = `PATH=/go/bin:/usr/local/go/bin:C:\Program Files\Go\bin`
		}), "holds a Unix path"},
		{"os.version lost", withGo(t, base, good, func(cf *v1.ConfigFile) { cf.OSVersion = "" }), "no os.version"},
		{"os.version not the base's", withGo(t, base, good, func(cf *v1.ConfigFile) { cf.OSVersion = "10.0.17763.1" }), "want the base's"},
		{"no GOROOT files", withGo(t, base, goLayer(t, "Files/go", true), nil), "Files/Program Files/Go/bin/go.exe, "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wincheck.Image(tc.img, wincheck.Options{Base: baseCfg})
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Image() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	base := wintest.Base(t)
	img := withGo(t, base, goLayer(t, "Files/Program Files/Go", true), nil)
	idx := wintest.Index(t, wintest.Linux(t), img)
	res, err := wincheck.Index(idx, wincheck.Options{})
	if err != nil {
		t.Fatalf("Index(linux + windows) = %v", err)
	}
	if len(res) != 1 || res[0].OSVersion != wintest.OSVersion || res[0].GOROOT != `C:\Program Files\Go` {
		t.Errorf("Index() = %+v, want one windows image of %s at C:\\Program Files\\Go", res[0], wintest.OSVersion)
	}
	if _, err := wincheck.Index(wintest.Index(t, wintest.Linux(t)), wincheck.Options{}); err == nil {
		t.Errorf("Index(linux only) = nil, want an error")
	}
}
