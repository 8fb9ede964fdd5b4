//go:build unix

package buildkittest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gorootimg/gorootimg/testkit/fixture"
)

// AptSource is a Debian mirror and release as the host's apt is configured.
type AptSource struct {
	URI, Suite string
}

// HostAptSource reads the first Debian archive (not the security archive)
// from /etc/apt/sources.list and /etc/apt/sources.list.d, in one-line or
// deb822 form, so tests use whatever mirror the machine is set up with.
func HostAptSource() (AptSource, bool) {
	files := []string{"/etc/apt/sources.list"}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, f := range files {
		if src, ok := parseAptSources(f); ok {
			return src, true
		}
	}
	return AptSource{}, false
}

func parseAptSources(file string) (AptSource, bool) {
	fh, err := os.Open(file)
	if err != nil {
		return AptSource{}, false
	}
	defer fh.Close()
	usable := func(s AptSource) bool {
		return s.URI != "" && s.Suite != "" && !strings.Contains(s.URI, "security") &&
			!strings.Contains(s.Suite, "-") // bookworm, not bookworm-updates
	}
	var st AptSource
	deb := false
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "deb" {
			// deb [opts] URI suite components...
			i := 1
			if strings.HasPrefix(f[1], "[") {
				for i < len(f) && !strings.HasSuffix(f[i], "]") {
					i++
				}
				i++
			}
			if i+1 < len(f) {
				if s := (AptSource{URI: f[i], Suite: f[i+1]}); usable(s) {
					return s, true
				}
			}
			continue
		}
		if line == "" { // end of a deb822 stanza
			if deb && usable(st) {
				return st, true
			}
			st, deb = AptSource{}, false
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "types":
			deb = strings.Contains(" "+v+" ", " deb ")
		case "uris":
			st.URI = strings.Fields(v)[0]
		case "suites":
			st.Suite = strings.Fields(v)[0]
		}
	}
	if deb && usable(st) {
		return st, true
	}
	return AptSource{}, false
}

// MinbaseTar returns a tar of a "debootstrap --variant=minbase" root file
// system of the host's Debian release from the host's mirror (no /dev,
// /proc or /sys contents; numeric owners). It is made once and cached in
// the gorootimg cache dir. The test is skipped when not root, without
// debootstrap, or without a Debian apt source.
func MinbaseTar(t testing.TB) (tarFile string, src AptSource) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: debootstrap needs root; CI runs as root")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		t.Skip("skipping: debootstrap is not installed (.ci/run installs it with apt-get)")
	}
	src, ok := HostAptSource()
	if !ok {
		t.Skip("skipping: no Debian archive in /etc/apt/sources.list*")
	}
	h := sha256.Sum256([]byte("minbase 2\n" + src.URI + "\n" + src.Suite))
	key := src.Suite + "-" + hex.EncodeToString(h[:8])
	dir := filepath.Join(fixture.CacheDir(t), "debootstrap")
	tarFile = filepath.Join(dir, key+".tar")
	if exists(tarFile) {
		return tarFile, src
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if exists(tarFile) {
		return tarFile, src
	}
	root, err := os.MkdirTemp(dir, "rootfs-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	// MkdirTemp made it 0700, and the tar's "./" gives the image's / that
	// mode: a non-root user could not reach any file (exec /bin/sh: EACCES).
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--variant=minbase"}
	if kr := "/usr/share/keyrings/debian-archive-keyring.gpg"; exists(kr) {
		args = append(args, "--keyring="+kr)
	}
	args = append(args, src.Suite, root, src.URI)
	t.Logf("debootstrap %s (once; cached as %s)", strings.Join(args, " "), tarFile)
	if out, err := exec.Command("debootstrap", args...).CombinedOutput(); err != nil {
		t.Fatalf("debootstrap: %v\n%s", err, tail(out, 4000))
	}
	tmp := tarFile + ".tmp"
	cmd := exec.Command("tar", "--numeric-owner", "--sort=name", "-C", root, "-cf", tmp,
		"--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*", "--exclude=./var/cache/apt/archives/*.deb", ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, tarFile); err != nil {
		t.Fatal(err)
	}
	return tarFile, src
}
