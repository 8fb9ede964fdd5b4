package llbgen

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
)

// Where the warm-cache step puts the driver while it runs. Neither path
// reaches the image: the driver is built into a mount and run from one.
const (
	driverSrcDir = "/gorootimg-warm-src"
	driverDir    = "/gorootimg-warm"
	driverName   = "gorootimg-warm"
	// driverCache is the build cache of the driver's own build, in the
	// root of an exec whose root is thrown away.
	driverCache = "/tmp/gorootimg-warm-driver-cache"
)

// Warm describes the warm-cache step: what gorootimg build --warm-cache
// does on the host, as exec ops BuildKit runs in the image being built.
type Warm struct {
	// Required: List is the variants ("std", "race"), as the driver's -list.
	List []string
	// Required: Env is the image config's Env; it must set GOROOT and
	// GOCACHE, and GOROOT must be the spec's GOROOTPath.
	Env []string
	// Required: Driver is the driver's source by file name
	// (warmcache.DriverSource).
	Driver map[string][]byte
}

func (w *Warm) validate(goroot string) error {
	if len(w.List) == 0 {
		return errors.New("llb spec: warm cache with an empty list")
	}
	if len(w.Driver) == 0 {
		return errors.New("llb spec: warm cache without the driver's source")
	}
	if g := envValue(w.Env, "GOROOT"); g != goroot {
		return fmt.Errorf("llb spec: warm cache: the Env's GOROOT is %q, want the GOROOT path %q", g, goroot)
	}
	if c := envValue(w.Env, "GOCACHE"); !path.IsAbs(c) || path.Clean(c) != c || c == "/" {
		return fmt.Errorf("llb spec: warm cache: the Env's GOCACHE is %q, want an absolute clean path", c)
	}
	return nil
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// warmState adds the warm build cache to img (base, file system layer and
// GOROOT): the image's go builds the driver (into a mount, with a build
// cache of its own in a root that is thrown away), the driver runs in the
// image with the config's Env and builds w.List into a scratch mount at
// GOCACHE, applying warmcache's rules, and that mount is copied onto img
// as one more layer. Both execs run without network.
func warmState(img llb.State, w *Warm, goroot string, t time.Time) llb.State {
	names := make([]string, 0, len(w.Driver))
	for n := range w.Driver {
		names = append(names, n)
	}
	slices.Sort(names)
	var fa *llb.FileAction
	for _, n := range names {
		fa = mkfile(fa, path.Join("/", n), 0o644, w.Driver[n], llb.WithCreatedTime(t), llb.WithUIDGID(0, 0))
	}
	src := llb.Scratch().File(fa, llb.WithCustomName("warm-cache driver source"))

	envOpts := func(env []string) []llb.RunOption {
		var o []llb.RunOption
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			o = append(o, llb.AddEnv(k, v))
		}
		return o
	}
	goCmd := path.Join(goroot, "bin", "go")
	buildEnv := append(slices.Clone(w.Env), "GOCACHE="+driverCache, "GOFLAGS=-trimpath", "CGO_ENABLED=0", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	build := img.Run(append(envOpts(buildEnv),
		llb.Args([]string{goCmd, "build", "-o", path.Join(driverDir, driverName), "."}),
		llb.Dir(driverSrcDir),
		llb.AddMount(driverSrcDir, src, llb.Readonly),
		llb.Network(llb.NetModeNone),
		llb.WithCustomName("build the warm-cache driver with the image's go"),
	)...)
	driver := build.AddMount(driverDir, llb.Scratch())

	gocache := envValue(w.Env, "GOCACHE")
	run := img.Run(append(envOpts(w.Env),
		llb.Args([]string{path.Join(driverDir, driverName), "-time", strconv.FormatInt(t.Unix(), 10), "-list", strings.Join(w.List, ","), "-dir", "/tmp"}),
		llb.Dir("/tmp"),
		llb.AddMount(driverDir, driver, llb.Readonly),
		llb.Network(llb.NetModeNone),
		llb.WithCustomNamef("warm the build cache (%s)", strings.Join(w.List, ",")),
	)...)
	cache := run.AddMount(gocache, llb.Scratch())
	return img.File(llb.Copy(cache, "/", gocache, &llb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ChownOpt:            &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}},
	}), llb.WithCustomNamef("copy the warm build cache to %s", gocache))
}
