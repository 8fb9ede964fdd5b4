//go:build !linux

package enginetest

import "errors"

func canOverlay(string) error { return errors.New("overlay mounts are Linux's") }
