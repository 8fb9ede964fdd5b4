package llbgen

import (
	"maps"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// defaultPath is the PATH of an image whose base sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ImageConfig returns the config of the image: base's config (nil for
// scratch) for platform p, with GOROOTPath/bin first on PATH,
// GOTOOLCHAIN=local (the image's Go is the one used) and labels added.
// base is not modified.
func ImageConfig(base *v1.ConfigFile, p v1.Platform, gorootPath string, labels map[string]string) *v1.ConfigFile {
	cfg := &v1.ConfigFile{}
	if base != nil {
		cfg = base.DeepCopy()
	}
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.RootFS = v1.RootFS{}
	cfg.History = nil
	bin := path.Join(gorootPath, "bin")
	env := slices.Clone(cfg.Config.Env)
	pathSet := false
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			parts := slices.DeleteFunc(strings.Split(v, ":"), func(s string) bool { return s == bin || s == "" })
			env[i] = "PATH=" + strings.Join(append([]string{bin}, parts...), ":")
			pathSet = true
		}
	}
	if !pathSet {
		env = append(env, "PATH="+bin+":"+defaultPath)
	}
	env = setEnv(env, "GOTOOLCHAIN", "local")
	cfg.Config.Env = env
	if len(labels) > 0 {
		if cfg.Config.Labels == nil {
			cfg.Config.Labels = map[string]string{}
		}
		maps.Copy(cfg.Config.Labels, labels)
	}
	return cfg
}

func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
