package main

import (
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/gorootimg/gorootimg/imageref"
	"github.com/spf13/pflag"
)

// remoteFlags are the registry flags of every command that reads or writes
// images. Credentials come from authn.DefaultKeychain: $DOCKER_CONFIG (or
// ~/.docker)/config.json and the credential helpers it names.
type remoteFlags struct {
	insecure bool
}

func (f *remoteFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP and unverified TLS for every registry (loopback registries use plain HTTP without it)")
}

// options returns the imageref options the flags select.
func (f *remoteFlags) options() []imageref.Option {
	return []imageref.Option{
		imageref.WithKeychain(authn.DefaultKeychain),
		imageref.WithInsecure(f.insecure),
		imageref.WithUserAgent("gorootimg"),
	}
}
