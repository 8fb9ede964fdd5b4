package hostile

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image returns a linux/amd64 image with one layer holding entries.
func Image(entries []Entry) (v1.Image, error) {
	tb, err := TarBytes(entries, false)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tb)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = GOOS, GOARCH
	cf.Config.Env = []string{"GOROOT=" + ImageGOROOT, "PATH=" + ImageGOROOT + "/bin:/usr/bin:/bin"}
	return mutate.ConfigFile(img, cf)
}

// WriteLayout writes img as the only image of a new OCI layout in dir.
func WriteLayout(dir string, img v1.Image) error {
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	return lp.AppendImage(img, layout.WithPlatform(v1.Platform{OS: GOOS, Architecture: GOARCH}))
}

func ociCase(name, what string, want []string, extra func(t Targets, base []Entry) []Entry) Case {
	return Case{
		Name: "oci/" + name, Source: OCI, What: what, Want: want,
		Write: func(dir string, t Targets) (string, error) {
			img, err := Image(withDirs(extra(t, sdkEntries(imagePrefix, Release))))
			if err != nil {
				return "", err
			}
			ld := filepath.Join(dir, "layout")
			if err := WriteLayout(ld, img); err != nil {
				return "", err
			}
			return "oci:" + ld, nil
		},
	}
}

func ociCases() []Case {
	return []Case{
		ociCase("control", "an honest image with the SDK in "+ImageGOROOT, nil,
			func(_ Targets, b []Entry) []Entry { return b }),
		{
			Name: "oci/layer-digest-mismatch", Source: OCI,
			What:  "a layer blob whose content no longer matches the digest in the manifest",
			Want:  []string{"sha256:", "digest", "checksum"},
			Write: writeDigestMismatch,
		},
		ociCase("dotdot", "a layer entry that climbs out of GOROOT with ../", []string{"../"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: imagePrefix + up + t.Escape[1:], Mode: 0o644, Body: []byte("escaped\n")})
			}),
		ociCase("symlink-escape", "a symlink in GOROOT to /, then a file written through it",
			[]string{imagePrefix + "lib/up"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: imagePrefix + "lib/up", Type: tar.TypeSymlink, Linkname: filepath.Dir(t.Escape)},
					Entry{Name: imagePrefix + "lib/up/" + filepath.Base(t.Escape), Mode: 0o644, Body: []byte("escaped\n")})
			}),
		ociCase("hardlink-outside", "a hard link from GOROOT to a file outside GOROOT",
			[]string{imagePrefix + "bin/evil"},
			func(t Targets, b []Entry) []Entry {
				return append(b,
					Entry{Name: "etc/passwd", Mode: 0o644, Body: []byte("root:x:0:0::/root:/bin/sh\n")},
					Entry{Name: imagePrefix + "bin/evil", Type: tar.TypeLink, Linkname: "etc/passwd"})
			}),
		ociCase("hardlink-dotdot", "a hard link whose target climbs out with ../",
			[]string{imagePrefix + "bin/evil"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: imagePrefix + "bin/evil", Type: tar.TypeLink, Linkname: up + t.Victim[1:]})
			}),
		ociCase("char-device", "a character device in GOROOT", []string{imagePrefix + "lib/tty"},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: imagePrefix + "lib/tty", Type: tar.TypeChar, Mode: 0o666, Major: 5})
			}),
		ociCase("whiteout-dotdot", "a whiteout whose name climbs out of GOROOT", []string{".wh."},
			func(t Targets, b []Entry) []Entry {
				return append(b, Entry{Name: imagePrefix + up + filepath.Dir(t.Victim)[1:] + "/.wh." + filepath.Base(t.Victim), Mode: 0o644})
			}),
	}
}

// writeDigestMismatch writes an image layout whose layer blob was swapped
// for another of the same size: a tampered mirror.
func writeDigestMismatch(dir string, _ Targets) (string, error) {
	img, err := Image(withDirs(sdkEntries(imagePrefix, Release)))
	if err != nil {
		return "", err
	}
	ld := filepath.Join(dir, "layout")
	if err := WriteLayout(ld, img); err != nil {
		return "", err
	}
	ls, err := img.Layers()
	if err != nil {
		return "", err
	}
	d, err := ls[0].Digest()
	if err != nil {
		return "", err
	}
	// Swap the layer for another of the same size: a tampered mirror.
	blob := filepath.Join(ld, "blobs", d.Algorithm, d.Hex)
	b, err := os.ReadFile(blob)
	if err != nil {
		return "", err
	}
	other, err := Image(withDirs(sdkEntries(imagePrefix, "go1.23.0")))
	if err != nil {
		return "", err
	}
	ols, _ := other.Layers()
	rc, err := ols[0].Compressed()
	if err != nil {
		return "", err
	}
	ob, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return "", err
	}
	if len(ob) != len(b) {
		// Same length matters only to get past size checks; pad or cut.
		ob = append(ob, make([]byte, max(0, len(b)-len(ob)))...)[:len(b)]
	}
	if err := os.WriteFile(blob, ob, 0o644); err != nil {
		return "", err
	}
	return "oci:" + ld, nil
}
