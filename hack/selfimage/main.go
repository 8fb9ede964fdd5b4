// Command selfimage assembles gorootimg's own image from gorootimg
// binaries built for each platform, with the project's own layer writer
// (package layers) and publishers (package publish), the way ko publishes
// ko: a static binary at /usr/local/bin/gorootimg as the entrypoint, the
// CA roots, /etc/passwd and /etc/group naming the non-root user 65532
// that the image runs as, and a world-writable /tmp for the cache.
// hack/self-image.sh builds the binaries and runs it; see there.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/layers"
	"github.com/gorootimg/gorootimg/publish"
	"github.com/gorootimg/gorootimg/sdk"
)

// User is the uid and gid the image runs as (distroless' "nonroot").
const User = 65532

// Entrypoint is where the binary goes.
const Entrypoint = "/usr/local/bin/gorootimg"

type config struct {
	binDir, ca, version, source string
	goproxy, gosumdb, goroot    string
	layout, tag                 string
	push                        bool
	platforms                   []v1.Platform
	mtime                       time.Time
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("selfimage: ")
	var c config
	var plats string
	flag.StringVar(&c.binDir, "bin", "", "directory holding gorootimg-OS-ARCH binaries (required)")
	flag.StringVar(&plats, "platforms", "linux/amd64,linux/arm64", "platforms of the index")
	flag.StringVar(&c.ca, "ca", "/etc/ssl/certs/ca-certificates.crt", "the CA roots to put in the image")
	flag.StringVar(&c.version, "version", "devel", "the version label")
	flag.StringVar(&c.source, "source", "https://github.com/gorootimg/gorootimg", "the org.opencontainers.image.source label")
	flag.StringVar(&c.goproxy, "goproxy", "", "GOPROXY baked into the image's environment ('go env GOPROXY')")
	flag.StringVar(&c.gosumdb, "gosumdb", "", "GOSUMDB baked into the image ('go env GOSUMDB'); a bare name gets its key from -goroot's go command source")
	flag.StringVar(&c.goroot, "goroot", "", "GOROOT whose go command knows the checksum database keys ('go env GOROOT')")
	flag.StringVar(&c.layout, "oci-layout", "", "write the index to this OCI image layout")
	flag.StringVar(&c.tag, "t", "", "image reference: the layout's tag, or where --push pushes")
	flag.BoolVar(&c.push, "push", false, "push the index to -t")
	flag.Parse()
	if c.binDir == "" || (c.layout == "" && !c.push) || (c.push && c.tag == "") {
		log.Fatal("usage: selfimage -bin DIR (--oci-layout DIR [-t TAG] | -t REF --push)")
	}
	for _, s := range strings.Split(plats, ",") {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			log.Fatal(err)
		}
		c.platforms = append(c.platforms, *p)
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			log.Fatalf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", s)
		}
		c.mtime = time.Unix(n, 0).UTC()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d, err := run(ctx, &c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
}

func run(ctx context.Context, c *config) (v1.Hash, error) {
	work, err := os.MkdirTemp("", "selfimage-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(work)
	env, err := c.env()
	if err != nil {
		return v1.Hash{}, err
	}
	res := &assemble.Result{}
	for _, p := range c.platforms {
		img, err := c.image(ctx, work, p, env)
		if err != nil {
			return v1.Hash{}, err
		}
		res.Images = append(res.Images, assemble.PlatformImage{Platform: p, Image: img})
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range res.Images {
		p := pi.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	res.Index = idx
	logf := publish.WithLogf(func(format string, args ...any) { log.Printf(format, args...) })
	var pubs publish.MultiPublisher
	if c.layout != "" {
		tag := "latest"
		if c.tag != "" && !c.push {
			tag = c.tag
		}
		l, err := publish.NewLayout(c.layout, tag, logf)
		if err != nil {
			return v1.Hash{}, err
		}
		pubs = append(pubs, l)
	}
	if c.push {
		r, err := publish.NewRegistry(c.tag, logf)
		if err != nil {
			return v1.Hash{}, err
		}
		pubs = append(pubs, r)
	}
	if err := pubs.Check(ctx); err != nil {
		return v1.Hash{}, err
	}
	if err := pubs.Publish(ctx, res); err != nil {
		return v1.Hash{}, err
	}
	return idx.Digest()
}

// env is the image's environment: PATH, the CA roots, a writable HOME and
// cache, and the module proxy and checksum database the build host uses.
func (c *config) env() ([]string, error) {
	env := []string{
		"PATH=/usr/local/bin",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"HOME=/tmp",
		"GOROOTIMG_CACHE=/tmp/gorootimg-cache",
	}
	if c.goproxy != "" {
		env = append(env, "GOPROXY="+c.goproxy)
	}
	if sumdb := c.gosumdb; sumdb != "" {
		// The image has no go command to read the key from: bake it in.
		if !strings.Contains(sumdb, "+") && c.goroot != "" {
			name, _, _ := strings.Cut(sumdb, " ")
			key, ok := sdk.KnownSumDBKeysIn(c.goroot)[name]
			if !ok {
				return nil, fmt.Errorf("GOSUMDB %q: the go command in %s has no key for it", sumdb, c.goroot)
			}
			sumdb = key + strings.TrimPrefix(sumdb, name)
		}
		env = append(env, "GOSUMDB="+sumdb)
	}
	return env, nil
}

// image is one platform's image: one layer and the config.
func (c *config) image(ctx context.Context, work string, p v1.Platform, env []string) (v1.Image, error) {
	bin := filepath.Join(c.binDir, "gorootimg-"+p.OS+"-"+p.Architecture)
	dir := filepath.Join(work, p.OS+"-"+p.Architecture)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/tmp:/sbin/nologin\n", User, User)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", User)
	var entries []layers.Entry
	for _, f := range []struct {
		name, content, src string
		mode               fs.FileMode
	}{
		{name: "etc/passwd", content: passwd, mode: 0o644},
		{name: "etc/group", content: group, mode: 0o644},
		{name: "etc/ssl/certs/ca-certificates.crt", src: c.ca, mode: 0o644},
		{name: strings.TrimPrefix(Entrypoint, "/"), src: bin, mode: 0o755},
	} {
		src := f.src
		if src == "" {
			src = filepath.Join(dir, filepath.Base(f.name))
			if err := os.WriteFile(src, []byte(f.content), 0o644); err != nil {
				return nil, err
			}
		}
		fi, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		entries = append(entries, layers.Entry{Name: f.name, Mode: f.mode, Src: src, Size: fi.Size()})
	}
	entries = append(entries, layers.Entry{Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777})
	l, err := layers.Write(ctx, filepath.Join(dir, "layer.tar.gz"), entries, layers.WithMTime(c.mtime))
	if err != nil {
		return nil, err
	}
	vl, err := l.V1()
	if err != nil {
		return nil, err
	}
	cfg := &v1.ConfigFile{
		Architecture: p.Architecture, OS: p.OS, Variant: p.Variant,
		Created: v1.Time{Time: c.mtime},
		RootFS:  v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{l.DiffID}},
		History: []v1.History{{Created: v1.Time{Time: c.mtime}, CreatedBy: "hack/self-image.sh: gorootimg " + c.version}},
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", User, User),
			Entrypoint: []string{Entrypoint},
			Env:        env,
			WorkingDir: "/tmp",
			Labels: map[string]string{
				"org.opencontainers.image.source":  c.source,
				"org.opencontainers.image.version": c.version,
				"org.opencontainers.image.title":   "gorootimg",
			},
		},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: vl, MediaType: l.MediaType})
	if err != nil {
		return nil, err
	}
	return mutate.ConfigFile(img, cfg)
}
