// Package rootfs makes the small layer that gives an image the file system
// a Go build needs when it runs in a container engine: /tmp, a GOPATH and
// a build cache any user can write, and, where the base image lacks them,
// a root CA bundle and minimal /etc/passwd and /etc/group.
//
// The layer only adds what the base lacks: ImagePaths reads the base's
// layers once (whiteouts honoured) and Entries skips every path the base
// already has. Entries follow the rules of every other layer (owners 0,
// one modification time, sorted), so the same base gives the same digest.
package rootfs
