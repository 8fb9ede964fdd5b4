package engines

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// testQemu runs the linux/arm64 image under qemu-user: go version, and a
// build of the smallest program (every package compiled under emulation
// costs about ten times more), which then runs.
func (f *fixture) testQemu(t *testing.T) {
	enginetest.NeedQemu(t, "aarch64")
	tar := filepath.Join(f.work, "arm64.tar")
	buildImage(t, f.bin, "--platform", "linux/arm64", "--tarball", tar, "-t", "go-engines:ci-arm64")
	if _, err := f.podman("load", "-i", tar); err != nil {
		t.Fatal(err)
	}
	const image = "localhost/go-engines:ci-arm64"
	const engine = "podman, linux/arm64 image under qemu-user"
	check(t, engine, "go version", func() (string, error) {
		out, err := f.podman(enginetest.RunArgs("--network", "none", image, "go", "version")...)
		if err != nil {
			return "", err
		}
		if want := "go version go" + release() + " linux/arm64"; !strings.Contains(out, want) {
			return "", fmt.Errorf("go version = %q, want %q", out, want)
		}
		return "", nil
	})
	check(t, engine, "go build, run the program", func() (string, error) {
		out := f.outDir(t)
		mounts := []string{"--network", "none", "-v", filepath.Join(f.data, "tiny") + ":/src:ro", "-v", out + ":/out", "-w", "/src"}
		if _, err := f.podman(append(enginetest.RunArgs(mounts...), image, "go", "build", "-o", "/out/tiny", ".")...); err != nil {
			return "", err
		}
		e, err := elf.Open(filepath.Join(out, "tiny"))
		if err != nil {
			return "", err
		}
		defer e.Close()
		if e.Machine != elf.EM_AARCH64 {
			return "", fmt.Errorf("tiny: machine %v, want EM_AARCH64", e.Machine)
		}
		ctx, cancel := f.ctx()
		defer cancel()
		r, err := enginetest.Exec(f.st.Podman(ctx, append(enginetest.RunArgs(mounts...), image, "/out/tiny")...))
		if err != nil {
			return "", err
		}
		if !strings.Contains(r.Stderr, "tiny runs on arm64") { // println writes to stderr
			return "", fmt.Errorf("tiny printed %q, want %q", r.Stderr, "tiny runs on arm64")
		}
		return "", nil
	})
}
