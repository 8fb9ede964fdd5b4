package wincheck

import (
	"archive/tar"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gorootimg/gorootimg/goroot"
)

// PAXSecurityDescriptor is the PAX record that carries an entry's
// security descriptor (base64 of its binary form).
const PAXSecurityDescriptor = "MSWINDOWS.rawsd"

// DefaultTools are the tools every Go image's toolchain needs, checked in
// pkg/tool/windows_ARCH when Options.Tools is empty.
var DefaultTools = []string{"compile", "link", "asm"}

// Options say what Image expects beyond the structure every Windows
// image has.
type Options struct {
	// Base, when set, is the base image's config: the image must have its
	// architecture and os.version.
	Base *v1.ConfigFile
	// Tools are the pkg/tool entries (without .exe) the GOROOT must hold;
	// DefaultTools when empty.
	Tools []string
	// Fast skips ggcr's hashing of every layer (validate.Fast).
	Fast bool
}

// Result is what Image found: the numbers a report prints.
type Result struct {
	// GOROOT is the image's GOROOT from its Env (`C:\Program Files\Go`).
	GOROOT string
	// OSVersion is the config's os.version.
	OSVersion string
	// Layers and Entries count the layers read and their tar entries.
	Layers, Entries int
	// Skipped counts layers not read (foreign, non-distributable layers).
	Skipped int
}

// Image checks img, a Windows image, and returns the first problem found.
func Image(img v1.Image, o Options) (*Result, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	res := &Result{OSVersion: cf.OSVersion}
	if err := checkConfig(cf, o.Base); err != nil {
		return res, err
	}
	if res.GOROOT, err = checkEnv(cf.Config.Env); err != nil {
		return res, err
	}
	want := wantFiles(res.GOROOT, cf.Architecture, o.Tools)
	ls, err := img.Layers()
	if err != nil {
		return res, fmt.Errorf("reading image layers: %w", err)
	}
	for i, l := range ls {
		mt, err := l.MediaType()
		if err != nil {
			return res, fmt.Errorf("reading layer %d: %w", i, err)
		}
		if mt == types.OCIRestrictedLayer || mt == types.DockerForeignLayer {
			res.Skipped++
			continue
		}
		n, err := checkLayer(l, want)
		if err != nil {
			return res, fmt.Errorf("layer %d: %w", i, err)
		}
		res.Layers++
		res.Entries += n
	}
	if len(want) > 0 {
		missing := slices.Sorted(maps.Keys(want))
		return res, fmt.Errorf("%s is not in the image", strings.Join(missing, ", "))
	}
	var vo []validate.Option
	if o.Fast {
		vo = append(vo, validate.Fast)
	}
	if err := validate.Image(img, vo...); err != nil {
		return res, fmt.Errorf("go-containerregistry validate: %w", err)
	}
	return res, nil
}

// checkConfig checks the config's platform fields against the base's.
func checkConfig(cf, base *v1.ConfigFile) error {
	if cf.OS != "windows" {
		return fmt.Errorf("config os is %q, want windows", cf.OS)
	}
	if cf.OSVersion == "" {
		return errors.New("config has no os.version: a Windows host runs an image only on its base's release")
	}
	if base == nil {
		return nil
	}
	if base.OSVersion != cf.OSVersion || base.Architecture != cf.Architecture {
		return fmt.Errorf("config platform %s %s, base %s %s: want the base's", cf.Architecture, cf.OSVersion, base.Architecture, base.OSVersion)
	}
	return nil
}

// checkEnv checks GOROOT, GOPATH and PATH are Windows values and returns
// GOROOT.
func checkEnv(env []string) (string, error) {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[strings.ToUpper(k)] = v
	}
	gr := vars["GOROOT"]
	if _, err := goroot.CleanWindowsImagePath(gr); err != nil {
		return "", fmt.Errorf("Env GOROOT: %w", err)
	}
	if gp := vars["GOPATH"]; !goroot.IsWindowsPath(gp) {
		return "", fmt.Errorf("Env GOPATH %q is not a Windows path", gp)
	}
	p := vars["PATH"]
	if strings.Contains(p, "/") {
		return "", fmt.Errorf("Env PATH %q holds a Unix path", p)
	}
	found := false
	for _, dir := range strings.Split(p, ";") {
		found = found || strings.EqualFold(dir, gr+`\bin`)
	}
	if !found {
		return "", fmt.Errorf("Env PATH %q lacks %s\\bin", p, gr)
	}
	return gr, nil
}

// wantFiles are the layer names of go.exe and the tools below GOROOT gr.
func wantFiles(gr, arch string, tools []string) map[string]bool {
	if len(tools) == 0 {
		tools = DefaultTools
	}
	dir := goroot.LayerDir(gr)
	want := map[string]bool{path.Join(dir, "bin/go.exe"): true}
	for _, t := range tools {
		want[path.Join(dir, "pkg/tool", "windows_"+arch, t+".exe")] = true
	}
	return want
}

// checkLayer checks one layer's entries and crosses off the wanted files
// it holds; it returns how many entries it read.
func checkLayer(l v1.Layer, want map[string]bool) (int, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	dirs := map[string]bool{}
	tr := tar.NewReader(rc)
	n := 0
	for ; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading tar: %w", err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		if err := checkEntry(h, name, dirs); err != nil {
			return n, err
		}
		if h.Typeflag == tar.TypeDir {
			dirs[name] = true
		}
		if h.Typeflag == tar.TypeReg {
			delete(want, name)
		}
	}
}

// checkEntry checks one tar entry: its place, its parent and its record.
func checkEntry(h *tar.Header, name string, dirs map[string]bool) error {
	top, _, _ := strings.Cut(name, "/")
	if top != goroot.WindowsFiles && top != goroot.WindowsHives {
		return fmt.Errorf("entry %q is not below Files/ or Hives/", h.Name)
	}
	if parent := path.Dir(name); parent != "." && !dirs[parent] {
		return fmt.Errorf("entry %q comes before its parent %q", h.Name, parent)
	}
	sd, ok := h.PAXRecords[PAXSecurityDescriptor]
	if !ok {
		return fmt.Errorf("entry %q has no %s record", h.Name, PAXSecurityDescriptor)
	}
	b, err := base64.StdEncoding.DecodeString(sd)
	if err != nil || len(b) < 20 || b[0] != 1 {
		return fmt.Errorf("entry %q: %s is no self-relative security descriptor", h.Name, PAXSecurityDescriptor)
	}
	return nil
}
