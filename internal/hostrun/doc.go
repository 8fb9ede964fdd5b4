// Package hostrun decides whether this host can run the binaries of a
// platform: natively, or through a Linux binfmt_misc handler (such as
// qemu-user's) that matches their ELF header. It uses only the standard
// library, so that both building images (warmcache) and checking them
// (verify) ask the same question the same way.
package hostrun
