package sdk

import (
	"fmt"
	"runtime"
	"strings"
)

// Platform is a target operating system and architecture, as in "linux/amd64".
type Platform struct {
	OS, Arch string
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// HostPlatform is the platform gorootimg runs on.
func HostPlatform() Platform { return Platform{OS: runtime.GOOS, Arch: runtime.GOARCH} }

// ParsePlatform parses "os/arch". A variant ("linux/arm/v7") is accepted and
// ignored only where Go has one SDK for all variants.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, fmt.Errorf("platform %q: want os/arch, such as linux/amd64", s)
	}
	for _, p := range parts {
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return Platform{}, fmt.Errorf("platform %q: want os/arch in lower case, such as linux/amd64", s)
			}
		}
	}
	return Platform{OS: parts[0], Arch: parts[1]}, nil
}

// ParsePlatforms parses a comma-separated list such as
// "linux/amd64,linux/arm64". Duplicates are an error; an empty string
// means the host platform.
func ParsePlatforms(s string) ([]Platform, error) {
	if strings.TrimSpace(s) == "" {
		return []Platform{HostPlatform()}, nil
	}
	var out []Platform
	seen := map[Platform]bool{}
	for _, f := range strings.Split(s, ",") {
		p, err := ParsePlatform(f)
		if err != nil {
			return nil, err
		}
		if seen[p] {
			return nil, fmt.Errorf("platform %s given twice", p)
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}
