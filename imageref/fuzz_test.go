package imageref

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// FuzzParseReference: any string either parses to a reference whose name
// parses again to the same name, or gives an error that quotes the input.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"golang:1.22", "image:golang:1.22", "127.0.0.1:5000/go/sdk:v1",
		"localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"example.com/x:", "UPPER/case", "a//b", ":tag", "@sha256:", "image:", "",
		"user:pass@example.com/x:1", "example.com:99999/x", "x:" + strings.Repeat("a", 200),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Add("robot:hunter2@registry.example/go:1", false)
	f.Add("https://robot:hunter2@127.0.0.1:5000/go", true)
	f.Add("golang:1.22@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)
	f.Fuzz(func(t *testing.T, s string, insecure bool) {
		ref, err := ParseReference(s, WithInsecure(insecure))
		// A "user:password@host" reference must not be echoed.
		if u := strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://"); err != nil {
			if at := strings.Index(u, "@"); at > 0 && !strings.Contains(u[:at], "/") {
				if _, pass, ok := strings.Cut(u[:at], ":"); ok && len(pass) >= 4 && !strings.HasPrefix(u[at+1:], "sha") &&
					strings.Contains(err.Error(), ":"+pass+"@") {
					t.Errorf("ParseReference(%q) error %q echoes the password", s, err)
				}
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), "parsing image reference") {
				t.Errorf("ParseReference(%q) error %q does not say what it was parsing", s, err)
			}
			return
		}
		again, err := ParseReference(ref.Name(), WithInsecure(insecure))
		if err != nil {
			t.Fatalf("ParseReference(%q) = %q, which does not parse again: %v", s, ref.Name(), err)
		}
		if again.Name() != ref.Name() {
			t.Errorf("ParseReference(%q).Name() = %q, parsed again = %q", s, ref.Name(), again.Name())
		}
		if strings.ContainsAny(ref.Context().RegistryStr(), "@/ ") {
			t.Errorf("ParseReference(%q) registry %q has a user, path or space in it", s, ref.Context().RegistryStr())
		}
	})
}

// FuzzSplitOCI: the directory and tag put back together give the input.
func FuzzSplitOCI(f *testing.F) {
	for _, s := range []string{"dir", "dir:tag", "/a/b:c", "a:b/c", ":x", "x:", "C:\\dir:tag", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dir, tag := splitOCI(s)
		joined := dir
		if tag != "" || strings.HasSuffix(s, ":") && dir != s {
			joined += ":" + tag
		}
		if joined != s {
			t.Errorf("splitOCI(%q) = %q, %q; joined = %q", s, dir, tag, joined)
		}
		if strings.Contains(tag, "/") {
			t.Errorf("splitOCI(%q) tag %q has a slash", s, tag)
		}
	})
}

// FuzzLoadOCI feeds an arbitrary index.json to Load("oci:DIR"): it must
// fail cleanly or give a reference whose platforms and images can be
// asked for without a panic.
func FuzzLoadOCI(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","size":10}]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","size":10,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}`))
	f.Add([]byte(`{"manifests":[{"digest":"sha256:../../../etc/passwd","size":1,"mediaType":"application/vnd.oci.image.manifest.v1+json"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"manifests":[null]}`))
	f.Fuzz(func(t *testing.T, index []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
		os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644)
		r, err := Load(context.Background(), "oci:"+dir)
		if err != nil {
			return
		}
		for _, p := range append(r.Platforms(), v1.Platform{OS: "linux", Architecture: "amd64"}) {
			img, err := r.Image(p)
			if err != nil {
				continue
			}
			img.Layers()
			img.ConfigFile()
		}
	})
}

// FuzzLoadTarball feeds arbitrary bytes to Load("tarball:FILE").
func FuzzLoadTarball(f *testing.F) {
	f.Add([]byte("not a tarball"))
	f.Add([]byte{})
	if img, err := random.Image(64, 1); err == nil {
		var b bytes.Buffer
		ref, _ := name.ParseReference("example.com/fuzz:seed")
		if err := tarball.Write(ref, img, &b); err == nil {
			f.Add(b.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "image.tar")
		os.WriteFile(file, data, 0o644)
		r, err := Load(context.Background(), "tarball:"+file)
		if err != nil {
			return
		}
		for _, p := range r.Platforms() {
			if img, err := r.Image(p); err == nil {
				img.Layers()
			}
		}
	})
}

// FuzzParsePlatforms: a list that parses gives platforms that print and
// parse back to themselves, with no duplicates and nothing empty.
func FuzzParsePlatforms(f *testing.F) {
	for _, s := range []string{
		"linux/amd64", "linux/amd64,linux/arm64", "linux/arm/v7", " linux/amd64 ", "",
		"linux/amd64,linux/amd64", "Linux/AMD64", "linux", "linux/amd64/v2/x", "/", ",", "linux//amd64",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePlatforms(s)
		if err != nil {
			return
		}
		if len(ps) == 0 {
			t.Fatalf("ParsePlatforms(%q) = no platforms and no error", s)
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if p.OS == "" || p.Architecture == "" {
				t.Errorf("ParsePlatforms(%q) gave %+v with an empty field", s, p)
			}
			if seen[FormatPlatform(p)] {
				t.Errorf("ParsePlatforms(%q) gave %s twice", s, FormatPlatform(p))
			}
			seen[FormatPlatform(p)] = true
			q, err := ParsePlatform(FormatPlatform(p))
			if err != nil || !q.Equals(p) {
				t.Errorf("ParsePlatform(%q) = %+v, %v; want %+v", FormatPlatform(p), q, err, p)
			}
		}
	})
}
