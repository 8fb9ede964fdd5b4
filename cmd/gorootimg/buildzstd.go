package main

import (
	"fmt"
	"io"

	"github.com/gorootimg/gorootimg/layers"
)

// zstdRefusers names the engines that cannot read zstd layers and what
// they say (docs/engines.md, "zstd layers: which engines pull them").
const zstdRefusers = `Docker before 23 refuses them (Docker 20.10's docker load fails with "archive/tar: invalid tar header", ` +
	`and seems to succeed only when the gzip twin's layers were loaded first), and so does containerd before 1.5; ` +
	`podman, buildah, containerd >= 1.5 (Kubernetes nodes) and Docker >= 23 read them (docs/engines.md)`

// noteZstd says once, on stderr, which engines will refuse the image's
// layers when they are zstd.
func noteZstd(w io.Writer, compression string) {
	if compression == string(layers.Zstd) {
		fmt.Fprintf(w, "gorootimg build: note: zstd layers: %s\n", zstdRefusers)
	}
}
