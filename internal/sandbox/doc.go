// Package sandbox runs an image's own programs on this host: it unpacks an
// image's file system into a directory (ExtractImage, Untar), prepares it
// (PrepareRoot) and runs commands chrooted into it in new mount and PID
// namespaces with unshare (Sandbox.Command). verify runs its probes this
// way and warmcache fills a build cache with the image's toolchain.
// It needs root, unshare and mount (CheckTools).
package sandbox
