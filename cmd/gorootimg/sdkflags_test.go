package main

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestCacheDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fallbacks tested are the Linux ones")
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
		err  bool
	}{
		{"GOROOTIMG_CACHE wins", map[string]string{"GOROOTIMG_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c", false},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/gorootimg", false},
		{"relative XDG_CACHE_HOME is ignored", map[string]string{"XDG_CACHE_HOME": "x", "HOME": "/h"}, "/h/.cache/gorootimg", false},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.cache/gorootimg", false},
		{"nothing", map[string]string{}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cacheDir(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.err || got != filepath.FromSlash(tc.want) {
				t.Errorf("cacheDir(%v) = %q, %v; want %q (error %v)", tc.env, got, err, tc.want, tc.err)
			}
		})
	}
}
