package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/diff"
	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/recipes"
	"github.com/gorootimg/gorootimg/sbom"
	"github.com/gorootimg/gorootimg/testkit/buildkittest"
	"github.com/gorootimg/gorootimg/testkit/enginetest"
	"github.com/gorootimg/gorootimg/testkit/fixture"
	"github.com/gorootimg/gorootimg/testkit/testenv"
	"github.com/gorootimg/gorootimg/verify"
)

// gorootimgOK runs the CLI in-process and fails the test on a non-zero exit.
func gorootimgOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runEnv(context.Background(), args, &env{stdout: &out, stderr: &errb, getenv: osGetenv})
	if code != 0 {
		t.Fatalf("gorootimg %s: exit %d\n%s", strings.Join(args, " "), code, tailString(errb.String(), 6000))
	}
	return out.String(), errb.String()
}

func tailString(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// pushMinbase pushes a debootstrap --variant=minbase root file system as
// REG/minbase:SUITE and returns its reference pinned by digest, and the
// tar it was made from.
func pushMinbase(t *testing.T, host string) (pinned, tarFile string) {
	t.Helper()
	tarFile, src := buildkittest.MinbaseTar(t)
	l, err := tarball.LayerFromFile(tarFile)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cf.Config.Cmd = []string{"bash"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host+"/minbase:"+src.Suite, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return host + "/minbase@" + d.String(), tarFile
}

// gorootFiles lists the regular files and symlinks below goroot in img's
// flattened file system: name → "mode sha256" or "link target".
func gorootFiles(t *testing.T, img v1.Image, goroot string) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	prefix := strings.TrimPrefix(goroot, "/") + "/"
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), prefix)
		if !ok {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg:
			s := sha256.New()
			if _, err := io.Copy(s, tr); err != nil {
				t.Fatal(err)
			}
			out[rel] = fs.FileMode(h.Mode).String() + " " + hex.EncodeToString(s.Sum(nil))
		case tar.TypeSymlink:
			out[rel] = "link " + h.Linkname
		}
	}
	return out
}

func remoteImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// checkSBOM validates doc as SPDX 2.3 with an independent parser and checks
// it lists exactly want's files (names below goroot) with their sha256.
func checkSBOM(t *testing.T, what string, doc []byte, want map[string]string, goroot string) {
	t.Helper()
	d, err := spdxjson.Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: SPDX JSON: %v", what, err)
	}
	if err := spdxlib.ValidateDocument(d); err != nil {
		t.Fatalf("%s: SPDX: %v", what, err)
	}
	if d.SPDXVersion != "SPDX-2.3" {
		t.Errorf("%s: spdxVersion %q", what, d.SPDXVersion)
	}
	got := map[string]string{}
	for _, f := range d.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				got[strings.TrimPrefix(f.FileName, "./"+strings.TrimPrefix(goroot, "/")+"/")] = c.Value
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: SBOM lists %d files, the image's GOROOT has %d", what, len(got), len(want))
	}
	for n, w := range want {
		if strings.HasPrefix(w, "link ") {
			if _, ok := got[n]; !ok {
				t.Errorf("%s: SBOM misses symlink %s", what, n)
			}
			continue
		}
		if sum := w[strings.LastIndex(w, " ")+1:]; got[n] != sum {
			t.Errorf("%s: SBOM %s sha256 %q, image has %q", what, n, got[n], sum)
		}
	}
}

// TestBuildKitEndToEnd is the end-to-end test of the BuildKit path:
//
//  1. a debootstrap minbase root file system goes to a real registry;
//  2. Dockerfile.base is built FROM it by a real buildkitd (built from
//     hack/buildkit) with the built-in Dockerfile frontend and pushed;
//  3. gorootimg build --base that image, with an SBOM, pushed;
//  4. gorootimg llb --prepare with the same inputs, piped into buildctl
//     build with an OCI layout output and a push;
//  5. gorootimg diff finds no file added, removed or changed between 3 and
//     4, their GOROOT files have the same modes and hashes, and their
//     configs are the same;
//  6. both SBOMs validate as SPDX 2.3 and list exactly the image's GOROOT;
//  7. gorootimg verify --recipe minimal passes on the BuildKit-built
//     image, cgo probes included (the base has gcc and libc6-dev);
//  8. podman pulls the llb image and builds and runs a cgo program in it
//     as --user 1000:1000.
func TestBuildKitEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds buildkitd, debootstraps Debian, runs verify")
	}
	// Parallel: it starts after the package's serial tests (the CLI
	// scripts), which then run while the CI prefetch still compiles
	// buildkitd, instead of waiting behind it.
	t.Parallel()
	testenv.NeedRoot(t)
	testenv.NeedTool(t, "docker-registry", "debootstrap", "runc", "tar", "unshare")
	ctx := context.Background()
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	minbase, minbaseTar := pushMinbase(t, reg.Host)
	bk := buildkittest.Start(t, buildkittest.Options{InsecureRegistries: []string{reg.Host}})
	work := t.TempDir()

	// 2. Dockerfile.base.
	repoRoot, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	emptyCtx := filepath.Join(work, "empty")
	if err := os.Mkdir(emptyCtx, 0o755); err != nil {
		t.Fatal(err)
	}
	base := reg.Host + "/go-base:test"
	baseOCI := filepath.Join(work, "base-oci")
	bk.Buildctl(ctx, t, nil, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+emptyCtx, "--local", "dockerfile="+repoRoot,
		"--opt", "filename=Dockerfile.base", "--opt", "build-arg:BASE="+minbase,
		"--output", "type=image,name="+base+",push=true",
		"--output", "type=oci,tar=false,dest="+baseOCI)
	// Offer the result to the fixture store: test/engines runs its
	// Dockerfile rows on Dockerfile.base's image and so need not build it
	// a second time.
	fixture.BaseImage(t, minbaseTar, func(dir string) error { return os.CopyFS(dir, os.DirFS(baseOCI)) })
	baseCfg, err := remoteImage(t, base).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if baseCfg.Config.User != "gopher" || !reflect.DeepEqual(envMap(baseCfg.Config.Env)["GOPATH"], "/go") {
		t.Errorf("Dockerfile.base config: user %q, env %q; want gopher and GOPATH=/go", baseCfg.Config.User, baseCfg.Config.Env)
	}

	const goroot = "/usr/local/go"
	common := []string{"--go", "local", "--recipe", "ci", "--platform", "linux/amd64", "--base", base}

	// 3. gorootimg build.
	built := reg.Host + "/go:build"
	gorootimgOK(t, append([]string{"build", "-q", "-t", built, "--push", "--sbom", "spdx"}, common...)...)

	// 4. gorootimg llb | buildctl build.
	prep := filepath.Join(work, "ctx")
	def, _ := gorootimgOK(t, append([]string{"llb", "--prepare", prep, "--sbom", "spdx"}, common...)...)
	again, _ := gorootimgOK(t, append([]string{"llb"}, common...)...)
	if def != again {
		t.Error("gorootimg llb gave different definitions with and without --prepare")
	}
	pdir := filepath.Join(prep, "linux-amd64")
	attr, err := os.ReadFile(filepath.Join(pdir, "output-attr"))
	if err != nil {
		t.Fatal(err)
	}
	viaLLB := reg.Host + "/go:llb"
	ociOut := filepath.Join(work, "bk-oci")
	bk.Buildctl(ctx, t, []byte(def), "build", "--local", "goroot="+filepath.Join(pdir, "goroot"),
		"--output", "type=oci,tar=false,dest="+ociOut+","+strings.TrimSpace(string(attr)),
		"--output", "type=image,name="+viaLLB+",push=true,oci-mediatypes=true,"+strings.TrimSpace(string(attr)))

	// 5. Same GOROOT files, per gorootimg diff and per file hash, same config.
	for _, other := range []string{viaLLB, "oci:" + ociOut} {
		out, _ := gorootimgOK(t, "diff", "--json", "--platform", "linux/amd64", built, other)
		var r diff.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("diff --json: %v\n%s", err, out)
		}
		if len(r.Platforms) != 1 {
			t.Fatalf("diff %s %s: %d platforms, want 1", built, other, len(r.Platforms))
		}
		p := r.Platforms[0]
		// The go front included: both images carry it at cacheprog.ImagePath.
		if p.Added.Files != 0 || p.Removed.Files != 0 || p.Changed.Files != 0 || p.A.Files != p.B.Files {
			t.Errorf("diff %s %s: added %d, removed %d, changed %d files (%d vs %d); want none: %+v",
				built, other, p.Added.Files, p.Removed.Files, p.Changed.Files, p.A.Files, p.B.Files, p.Files)
		}
	}
	bImg, lImg := remoteImage(t, built), remoteImage(t, viaLLB)
	bFiles, lFiles := gorootFiles(t, bImg, goroot), gorootFiles(t, lImg, goroot)
	if len(bFiles) < 1000 {
		t.Errorf("build's GOROOT has only %d files", len(bFiles))
	}
	for n, w := range bFiles {
		if lFiles[n] != w {
			t.Errorf("%s: build %q, llb %q", n, w, lFiles[n])
		}
	}
	for n := range lFiles {
		if _, ok := bFiles[n]; !ok {
			t.Errorf("%s: only in the llb image", n)
		}
	}
	bCfg, err := bImg.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	lCfg, err := lImg.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(envOf(lCfg.Config.Env, "PATH"), ":"), cacheprog.BinDir) ||
		!strings.Contains(lCfg.Config.Labels[imageconfig.LabelCapabilities], "read-only-root") {
		t.Errorf("llb's config has no %s on PATH or no read-only-root capability: %v %v", cacheprog.BinDir, lCfg.Config.Env, lCfg.Config.Labels)
	}
	if !reflect.DeepEqual(bCfg.Config, lCfg.Config) || !bCfg.Created.Time.Equal(lCfg.Created.Time) || bCfg.Architecture != lCfg.Architecture {
		t.Errorf("configs differ:\nbuild %+v %v\nllb   %+v %v", bCfg.Config, bCfg.Created, lCfg.Config, lCfg.Created)
	}

	// 6. SBOMs: llb's prepared one, and build's from the registry.
	doc, err := os.ReadFile(filepath.Join(pdir, sbom.FileName))
	if err != nil {
		t.Fatal(err)
	}
	checkSBOM(t, "llb --prepare", doc, lFiles, goroot)
	checkSBOM(t, "build --sbom", referrerSBOM(t, built, bImg), bFiles, goroot)

	// 7. gorootimg verify --json on the BuildKit-built image, sandboxed as
	// root in it with its gcc for the cgo probes, held to minimal's promise
	// (build and cgo). Step 5 showed the build image has the same files and
	// config, so one verify covers both. ci's whole promise is proven on
	// the same release by test's TestFidelity, byte for byte, and build's
	// (with cross) by verify's TestVerifyRecipes: this step proves the CLI
	// verify and the image's toolchain with a real base's C compiler,
	// without a third cold probe run of every capability.
	out, _ := gorootimgOK(t, "verify", "--json", "--reference", "local", "--recipe", "minimal", "--goroot-path", goroot, viaLLB)
	var r verify.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	checkVerifyCgo(t, viaLLB, &r)
	minimal, err := recipes.Lookup("minimal")
	if err != nil {
		t.Fatal(err)
	}
	want, err := minimal.CapabilitiesFor(r.GoVersion)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(r.Capabilities)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(r.Skipped) != 0 {
		t.Errorf("verify %s: held to %v, skipped %v; want minimal's capabilities %v and no skip", viaLLB, got, r.Skipped, want)
	}
	if len(r.Probes) == 0 || r.Recipe != "ci" || r.CapabilitySource != "recipe minimal" {
		t.Errorf("verify %s: recipe label %q, capabilities from %q, %d probes; want the label ci, recipe minimal and some probes",
			viaLLB, r.Recipe, r.CapabilitySource, len(r.Probes))
	}

	// 8. The llb image in a real engine: podman pulls it from the registry
	// and, as a user with no passwd entry, builds and runs a cgo program
	// with the base's gcc, writing the build cache the file-system layer
	// made writable.
	runLLBImageInPodman(t, viaLLB)
}

// runLLBImageInPodman pulls ref into a private podman store and builds and
// runs a cgo program in it as --user 1000:1000.
func runLLBImageInPodman(t *testing.T, ref string) {
	t.Helper()
	for _, tool := range []string{"podman", "buildah"} {
		if _, err := exec.LookPath(tool); err != nil {
			// Not a skip of the whole test: steps 1-7 did run.
			t.Logf("step 8 not run: %s is not installed (.ci/run installs it)", tool)
			return
		}
	}
	st := enginetest.NewStore(t)
	src := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":  "module example.com/cgohello\n\ngo 1.21\n",
		"main.go": "package main\n\n// int seven(void) { return 7; }\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"cgo says\", C.seven()) }\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := enginetest.Exec(st.Podman(ctx, "pull", "--tls-verify=false", ref)); err != nil {
		t.Fatal(err)
	}
	res, err := enginetest.Exec(st.Podman(ctx, enginetest.RunArgs("--network", "none", "--user", "1000:1000",
		"-v", src+":/src:ro", "-w", "/src", "-e", "CGO_ENABLED=1", ref,
		"sh", "-c", "go build -o /tmp/app . && /tmp/app")...))
	if err != nil {
		t.Fatalf("podman run --user 1000:1000 %s go build (cgo): %v", ref, err)
	}
	if !strings.Contains(res.Stdout, "cgo says 7") {
		t.Errorf("podman run %s: printed %q, want \"cgo says 7\"", ref, res.Stdout)
	}
	t.Logf("podman pull and a cgo build as uid 1000 in the llb image: run took %v", res.Took.Round(100*time.Millisecond))
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// referrerSBOM finds the SPDX artifact whose subject is img in ref's repository.
func referrerSBOM(t *testing.T, ref string, img v1.Image) []byte {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(r.Context().Digest(d.String()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.ArtifactType == sbom.MediaType {
			art, err := remote.Image(r.Context().Digest(m.Digest.String()))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := sbom.FromArtifact(art)
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}
	}
	t.Fatalf("no %s referrer of %s@%s", sbom.MediaType, ref, d)
	return nil
}

// checkVerifyCgo checks verify's JSON report: it passed, sandboxed in the
// image, with the image's C compiler, and the cgo probes ran and passed
// rather than being skipped.
func checkVerifyCgo(t *testing.T, ref string, r *verify.Report) {
	t.Helper()
	if !r.Passed() {
		t.Errorf("verify %s: failed: %+v", ref, r.Failures())
	}
	if !r.Sandboxed || r.CCompiler == "" {
		t.Errorf("verify %s: sandboxed=%v, C compiler %q; want the probes run in the image with its gcc", ref, r.Sandboxed, r.CCompiler)
	}
	for _, sk := range r.Skipped {
		if strings.Contains(sk.Capability, "cgo") {
			t.Errorf("verify %s: cgo skipped: %s", ref, sk.Reason)
		}
	}
	cgo := 0
	for _, p := range r.Probes {
		if strings.Contains(p.Name, "cgo") {
			cgo++
			if p.Status != verify.StatusPass {
				t.Errorf("verify %s: probe %s: %s %s", ref, p.Name, p.Status, p.Reason)
			}
		}
	}
	if cgo == 0 {
		names := []string{}
		for _, p := range r.Probes {
			names = append(names, p.Name)
		}
		t.Errorf("verify %s: no cgo probe among %q", ref, names)
	}
}

// envOf is the value of key in env ("" when unset).
func envOf(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}
