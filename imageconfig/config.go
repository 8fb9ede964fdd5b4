package imageconfig

import (
	"fmt"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/rootfs"
)

// Label keys gorootimg sets on every image it builds, next to the standard
// org.opencontainers.image.* ones. verify and diff read them.
const (
	// LabelRecipe is the recipe name ("ci", "full", or a recipe file's name).
	LabelRecipe = "io.github.gorootimg.recipe"
	// LabelRecipeDigest is the recipe's "sha256:..." digest (empty for the
	// unmodified full SDK).
	LabelRecipeDigest = "io.github.gorootimg.recipe.digest"
	// LabelGoVersion is the Go release in the image ("go1.22.12").
	LabelGoVersion = "io.github.gorootimg.go.version"
	// LabelSDKSource says where the SDK came from (sdk.SDK.Source).
	LabelSDKSource = "io.github.gorootimg.sdk.source"
	// LabelSDKHash identifies the SDK's content (sdk.SDK.Hash).
	LabelSDKHash = "io.github.gorootimg.sdk.hash"
	// LabelGOROOT is where the SDK lives in the image ("/usr/local/go").
	LabelGOROOT = "io.github.gorootimg.goroot"
	// LabelWarmCache lists the warm-cache variants whose build cache the
	// image carries, comma-separated in the order given ("std,race"); it is
	// absent on an image without a warm cache.
	LabelWarmCache = "io.github.gorootimg.warm-cache"
	// LabelCapabilities lists what the image can run, measured from its
	// base's files at build time: shell, cc, git and read-only-root,
	// comma-separated, or "none" (see docs/kubernetes.md).
	LabelCapabilities = "io.github.gorootimg.capabilities"

	// The OCI pre-defined annotation keys gorootimg sets as labels: the Go
	// release without "go", the created time, the base image's name and
	// digest, and --source.
	LabelOCIVersion    = "org.opencontainers.image.version"
	LabelOCICreated    = "org.opencontainers.image.created"
	LabelOCIBaseName   = "org.opencontainers.image.base.name"
	LabelOCIBaseDigest = "org.opencontainers.image.base.digest"
	LabelOCISource     = "org.opencontainers.image.source"
)

// DefaultPATH is the PATH an image gets when its base sets none (the one
// Docker and the official Debian images use).
const DefaultPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// GOPATH is the GOPATH the image's config sets.
const GOPATH = "/go"

// GOENV is the go command's configuration file (go env -w) the image's
// config names when its base sets none: below /tmp, the one directory an
// arbitrary uid with HOME=/ can write to under a read-only root (an
// emptyDir there). See docs/kubernetes.md.
const GOENV = "/tmp/.config/go/env"

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// Meta is what an image's config and labels are made from. build fills it
// in for Build, and gorootimg llb fills it in the same way to give its
// images the same config.
type Meta struct {
	// GoVersion is the release, as the SDK's VERSION names it ("go1.22.12").
	GoVersion string
	// GOROOT is the SDK's path in the image (goroot.DefaultImagePath when empty).
	GOROOT string
	// Created is the image's creation time: the layers' modification time.
	Created time.Time
	// Recipe and RecipeDigest name the recipe the SDK was pruned with.
	Recipe, RecipeDigest string
	// SDKSource and SDKHash describe the SDK (sdk.SDK.Source, .Hash).
	SDKSource, SDKHash string
	// BaseName and BaseDigest name the base image; both empty for scratch.
	BaseName, BaseDigest string
	// Source is the optional org.opencontainers.image.source URL.
	Source string
	// Platform is the image's platform.
	Platform v1.Platform
	// WarmCache lists the warm-cache variants the image carries
	// (warmcache.Variant names); empty for none.
	WarmCache []string
	// User is the numeric user the image runs as; empty keeps the base's.
	User string
}

// WithBase returns m for an image on the base image ref (not scratch)
// whose config is cfg: the base's name and digest recorded, and the
// variant and OS version the base states kept in the platform.
func (m Meta) WithBase(ref *imageref.Ref, cfg *v1.ConfigFile) Meta {
	m.BaseName = strings.TrimPrefix(ref.Name, "image:")
	m.BaseDigest = ref.Digest.String()
	m.Platform.Variant, m.Platform.OSVersion = cfg.Variant, cfg.OSVersion
	return m
}

// Created is an image's created time and the modification time of every
// file in its layers: epoch (SOURCE_DATE_EPOCH, which the CLI reads) when
// set, else the release time in the VERSION file of t; in UTC, truncated
// to the second. It fails when neither is known.
func Created(epoch time.Time, t goroot.Tree) (time.Time, error) {
	ts := epoch
	if ts.IsZero() {
		ts = t.Time
	}
	if ts.IsZero() {
		return time.Time{}, fmt.Errorf("%s has no release time in VERSION; set SOURCE_DATE_EPOCH", t.Dir)
	}
	return ts.UTC().Truncate(time.Second), nil
}

func (m Meta) goroot() string {
	switch {
	case m.GOROOT == "" && m.Platform.OS == "windows":
		return goroot.DefaultWindowsImagePath
	case m.GOROOT == "":
		return goroot.DefaultImagePath
	case goroot.IsWindowsPath(m.GOROOT):
		return m.GOROOT
	}
	return path.Clean(m.GOROOT)
}

// Labels returns the image labels for m: the OCI annotations that apply
// plus gorootimg's own. Empty values are left out.
func Labels(m Meta) map[string]string {
	l := map[string]string{
		LabelOCIVersion:    strings.TrimPrefix(m.GoVersion, "go"),
		LabelOCICreated:    m.Created.UTC().Format(time.RFC3339),
		LabelOCIBaseName:   m.BaseName,
		LabelOCIBaseDigest: m.BaseDigest,
		LabelOCISource:     m.Source,
		LabelRecipe:        m.Recipe,
		LabelRecipeDigest:  m.RecipeDigest,
		LabelGoVersion:     m.GoVersion,
		LabelSDKSource:     m.SDKSource,
		LabelSDKHash:       m.SDKHash,
		LabelGOROOT:        m.goroot(),
		LabelWarmCache:     strings.Join(m.WarmCache, ","),
	}
	for k, v := range l {
		if v == "" {
			delete(l, k)
		}
	}
	return l
}

// Config returns the image config for m on top of the base image's config
// (nil for scratch): the base's settings kept, Env given GOROOT, GOPATH,
// GOTOOLCHAIN=local and a PATH that starts with /go/bin and $GOROOT/bin,
// the labels of Labels merged over the base's, the platform and the
// created time set, and rootfs.Configure applied (GOCACHE, WorkingDir).
// RootFS and History are left as the base had them; whoever adds layers
// appends to them.
func Config(base *v1.ConfigFile, m Meta) *v1.ConfigFile {
	var cf *v1.ConfigFile
	if base != nil {
		cf = base.DeepCopy()
	} else {
		cf = &v1.ConfigFile{RootFS: v1.RootFS{Type: "layers"}}
	}
	if m.Platform.OS == "windows" {
		cf.Config.Env = windowsEnv(cf.Config.Env, m.goroot())
	} else {
		cf.Config.Env = unixEnv(cf.Config.Env, m.goroot())
		if m.User != "" {
			cf.Config.User = m.User
		}
		rootfs.Configure(cf)
	}
	labels := map[string]string{}
	for k, v := range cf.Config.Labels {
		labels[k] = v
	}
	if m.BaseName == "" {
		// Without a base, no label of a base can be inherited.
		delete(labels, LabelOCIBaseName)
		delete(labels, LabelOCIBaseDigest)
	}
	for k, v := range Labels(m) {
		labels[k] = v
	}
	for _, k := range []string{LabelOCISource, LabelRecipeDigest, LabelSDKHash, LabelWarmCache, LabelCapabilities} {
		if _, ok := Labels(m)[k]; !ok {
			delete(labels, k) // a base built by gorootimg must not lend us its values
		}
	}
	cf.Config.Labels = labels
	cf.Created = v1.Time{Time: m.Created.UTC()}
	cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = m.Platform.OS, m.Platform.Architecture, m.Platform.Variant, m.Platform.OSVersion
	// The Docker-era container fields mean nothing for a built image.
	cf.Container, cf.DockerVersion = "", ""
	return cf
}

// unixEnv is the Env of a Linux image on a base whose Env is base: GOROOT,
// GOPATH, GOTOOLCHAIN=local and a PATH that starts with /go/bin and
// $GOROOT/bin, and GOENV unless the base sets it.
func unixEnv(base []string, goroot string) []string {
	basePath := DefaultPATH
	var env []string
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH":
			basePath = v
		case "GOROOT", "GOPATH", "GOTOOLCHAIN":
		default:
			env = append(env, kv)
		}
	}
	gobin, gorootBin := path.Join(GOPATH, "bin"), path.Join(goroot, "bin")
	p := []string{gobin, gorootBin}
	for _, dir := range strings.Split(basePath, ":") {
		if dir != "" && dir != gobin && dir != gorootBin {
			p = append(p, dir)
		}
	}
	env = append(env,
		"PATH="+strings.Join(p, ":"),
		"GOROOT="+goroot,
		"GOPATH="+GOPATH,
		"GOTOOLCHAIN=local",
	)
	if !hasEnv(env, "GOENV") {
		env = append(env, "GOENV="+GOENV)
	}
	return env
}
