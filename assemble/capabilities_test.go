package assemble

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestMeasureTools(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "bin", Typeflag: tar.TypeSymlink, Linkname: "usr/bin"},
		{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/bin/dash", Typeflag: tar.TypeReg, Mode: 0o755},
		{Name: "usr/bin/sh", Typeflag: tar.TypeSymlink, Linkname: "dash"},
		{Name: "usr/bin/gcc", Typeflag: tar.TypeSymlink, Linkname: "gcc-12"},
		{Name: "usr/share/git/", Typeflag: tar.TypeDir, Mode: 0o755}, // not a command
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	base, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStore("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tests := []struct {
		name  string
		c     func() (Capabilities, error)
		want  Capabilities
		label string
	}{
		{"scratch", func() (Capabilities, error) { return measureTools(st, nil) }, Capabilities{}, "none"},
		{"debian-like", func() (Capabilities, error) { return measureTools(st, base) }, Capabilities{Shell: "/usr/bin/sh", CC: "/usr/bin/gcc"}, "shell,cc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.c()
			if err != nil || got.Shell != tc.want.Shell || got.CC != tc.want.CC || got.Git != tc.want.Git {
				t.Fatalf("measureTools = %+v, %v; want %+v", got, err, tc.want)
			}
			if got.Label() != tc.label {
				t.Errorf("Label() = %q, want %q", got.Label(), tc.label)
			}
		})
	}
	if got := (Capabilities{Git: "/usr/bin/git", ReadOnlyRoot: true}).Label(); got != "git,read-only-root" {
		t.Errorf("Label() = %q, want git,read-only-root", got)
	}
}

func TestFrontPATH(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/go/bin:/usr/local/go/bin:/usr/bin:/bin", "/go/bin:/usr/local/libexec/gorootimg/bin:/usr/local/go/bin:/usr/bin:/bin"},
		{"/go/bin:/usr/local/libexec/gorootimg/bin:/usr/local/go/bin", "/go/bin:/usr/local/libexec/gorootimg/bin:/usr/local/go/bin"},
		{"/opt/go/bin", "/usr/local/libexec/gorootimg/bin:/opt/go/bin"},
		{"/go/bin", "/go/bin:/usr/local/libexec/gorootimg/bin"},
	} {
		if got := frontPATH(tc.in); got != tc.want {
			t.Errorf("frontPATH(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
