package engines

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
)

// dockerfileCase is a Dockerfile in testdata/dockerfiles built FROM one of
// the images with testdata/mod as its context.
type dockerfileCase struct {
	file, scenario, want string
	image                func(*fixture) (local, pushed string)
}

var dockerfileCases = []dockerfileCase{
	{
		file:     "Dockerfile.scratch",
		scenario: "Dockerfile FROM the image (scratch): exec-form RUN go vet, go build; COPY --from into scratch; run it",
		want:     "hello from the image",
		image:    func(f *fixture) (string, string) { return f.ci, f.pushed },
	},
	{
		file:     "Dockerfile.debian",
		scenario: "Dockerfile FROM the image (Dockerfile.base): shell-form RUN go test -race, cgo build; COPY --from; run it",
		want:     "cgo says 5",
		image:    (*fixture).debian,
	},
}

// debian builds (once) the default recipe's image on Dockerfile.base, loads
// it into podman and pushes it, and returns both names.
func (f *fixture) debian() (string, string) {
	return "localhost/go-engines:debian", f.reg + "/go:debian"
}

func (f *fixture) buildDebian(t *testing.T) {
	t.Helper()
	base := debianBase(t, f.st, f.reg)
	tar := filepath.Join(f.work, "debian.tar")
	local, pushed := f.debian()
	buildImage(t, f.bin, "--platform", "linux/amd64", "--base", "oci:"+base, "--tarball", tar, "-t", strings.TrimPrefix(local, "localhost/"))
	buildImage(t, f.bin, "--platform", "linux/amd64", "--base", "oci:"+base, "-t", pushed, "--push")
	if _, err := f.podman("load", "-i", tar); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) testDockerfiles(t *testing.T) {
	debianOK := t.Run("debian-base", func(t *testing.T) { f.buildDebian(t) })
	usable := func(t *testing.T, c dockerfileCase) {
		if c.file == "Dockerfile.debian" && !debianOK {
			t.Skip("skipping: no Debian image (see the debian-base subtest)")
		}
	}
	t.Run("buildah", func(t *testing.T) {
		for _, c := range dockerfileCases {
			t.Run(c.file, func(t *testing.T) {
				usable(t, c)
				check(t, "buildah bud", c.scenario, func() (string, error) { return "", f.buildah(c) })
			})
		}
	})
	t.Run("buildkit", func(t *testing.T) {
		bk := buildkittest.Start(t, buildkittest.Options{InsecureRegistries: []string{f.reg}})
		for _, c := range dockerfileCases {
			t.Run(c.file, func(t *testing.T) {
				usable(t, c)
				check(t, "buildctl (dockerfile.v0)", c.scenario, func() (string, error) { return "", f.buildkit(bk, c) })
			})
		}
	})
}

// buildah builds the case with buildah bud and runs the product in podman.
func (f *fixture) buildah(c dockerfileCase) error {
	local, _ := c.image(f)
	tag := "localhost/app:buildah-" + strings.TrimPrefix(c.file, "Dockerfile.")
	ctx, cancel := f.ctx()
	defer cancel()
	args := append(enginetest.BudArgs(), "--pull-never", "--build-arg", "IMAGE="+local,
		"-f", filepath.Join(f.data, "dockerfiles", c.file), "-t", tag, filepath.Join(f.data, "mod"))
	if _, err := enginetest.Exec(f.st.Buildah(ctx, args...)); err != nil {
		return err
	}
	return f.runProduct(tag, c.want)
}

// buildkit builds the case with BuildKit's Dockerfile frontend, pushes the
// product and runs it in podman.
func (f *fixture) buildkit(bk *buildkittest.Daemon, c dockerfileCase) error {
	_, pushed := c.image(f)
	tag := f.reg + "/app:buildkit-" + strings.TrimPrefix(c.file, "Dockerfile.")
	ctx, cancel := f.ctx()
	defer cancel()
	if _, err := bk.TryBuildctl(ctx, nil, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+filepath.Join(f.data, "mod"), "--local", "dockerfile="+filepath.Join(f.data, "dockerfiles"),
		"--opt", "filename="+c.file, "--opt", "build-arg:IMAGE="+pushed,
		"--output", "type=image,name="+tag+",push=true"); err != nil {
		return err
	}
	if _, err := f.podman("pull", "--tls-verify=false", tag); err != nil {
		return err
	}
	return f.runProduct(tag, c.want)
}

func (f *fixture) runProduct(image, want string) error {
	out, err := f.podman(enginetest.RunArgs("--network", "none", image)...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, want) {
		return fmt.Errorf("%s printed %q, want %q", image, out, want)
	}
	return nil
}
