// Throwaway: time the sandbox path's warm of one platform of an OCI layout.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/gorootimg/gorootimg/warmcache"
)

func main() {
	ctx := context.Background()
	p, _ := layout.FromPath(os.Args[1])
	ii, _ := p.ImageIndex()
	im, _ := ii.IndexManifest()
	var img v1.Image
	for _, d := range im.Manifests {
		sub, err := ii.ImageIndex(d.Digest)
		if err != nil {
			continue
		}
		sm, _ := sub.IndexManifest()
		for _, m := range sm.Manifests {
			if m.Platform != nil && m.Platform.Architecture == os.Args[2] {
				img, _ = sub.Image(m.Digest)
			}
		}
	}
	if img == nil {
		panic("no image")
	}
	// the image below the warm layer: drop the last layer
	ls, _ := img.Layers()
	cf, _ := img.ConfigFile()
	_ = ls
	dir, _ := os.MkdirTemp("/tmp", "sbwarm-")
	defer os.RemoveAll(dir)
	start := time.Now()
	res, err := warmcache.WarmImage(ctx, img, v1.Platform{OS: "linux", Architecture: os.Args[2]}, cf.Created.Time, dir, []warmcache.Variant{warmcache.Std}, warmcache.WithLog(os.Stderr))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("sandbox path %s: %v, %d files, path %s\n", os.Args[2], time.Since(start), res.Files, res.Path)
}
