package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Sandbox runs commands chrooted into an image's root file system, in new
// mount and PID namespaces (unshare), with /proc mounted and the host's
// /dev/null, /dev/zero, /dev/random and /dev/urandom bound in. Mounts die
// with the namespace: nothing is left mounted on the host.
//
// Commands are given with host paths; paths below Root (and below each
// bind source) are rewritten to their place inside the sandbox.
type Sandbox struct {
	// Root is the unpacked image file system on the host (see PrepareRoot).
	Root string
	// Binds maps a path inside the sandbox to a host directory mounted
	// there read-only (the reference SDK).
	Binds map[string]string
	// WritableBinds are binds mounted read-write (a build cache shared
	// between runs). A path must not be in both maps.
	WritableBinds map[string]string
	// UID and GID, when not 0, are the user and group the command runs as
	// inside (numeric: the image needs no passwd entry), with no
	// supplementary groups.
	UID, GID int
}

// Tools are the host programs the sandbox needs.
var Tools = []string{"unshare", "mount", "sh"}

// CheckTools reports which of the sandbox's host tools are missing.
func CheckTools() error {
	var missing []string
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the sandbox needs %s on PATH", strings.Join(missing, ", "))
	}
	return nil
}

// Inside rewrites host paths in v (a path, an argument such as
// -o=/x/y, an environment entry such as PATH=/a:/b) to the paths the
// sandbox sees. A host path is replaced where it is a whole path or a
// prefix of one: preceded by the start, "=", ":" or a space and followed
// by the end, "/" or ":".
func (s *Sandbox) Inside(v string) string {
	type m struct{ host, in string }
	var maps []m
	for in, host := range s.binds() {
		maps = append(maps, m{filepath.Clean(host.dir), in})
	}
	maps = append(maps, m{filepath.Clean(s.Root), ""})
	// Longest host prefix first; one pass, so a rewritten path is never
	// rewritten again.
	sort.Slice(maps, func(i, j int) bool { return len(maps[i].host) > len(maps[j].host) })
	var b strings.Builder
	for i := 0; i < len(v); {
		if i == 0 || strings.ContainsRune("=: ", rune(v[i-1])) {
			matched := false
			for _, x := range maps {
				end := i + len(x.host)
				if !strings.HasPrefix(v[i:], x.host) || end < len(v) && v[end] != '/' && v[end] != ':' {
					continue
				}
				in := x.in
				if in == "" && (end == len(v) || v[end] != '/') {
					in = "/"
				}
				b.WriteString(in)
				i = end
				matched = true
				break
			}
			if matched {
				continue
			}
		}
		b.WriteByte(v[i])
		i++
	}
	return b.String()
}

// Command returns the command that runs argv in dir with env inside the
// sandbox. dir, argv and env use host paths. The chrooted program sees
// exactly env (rewritten), nothing of the host's environment.
func (s *Sandbox) Command(ctx context.Context, dir string, env, argv []string) *exec.Cmd {
	tool := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return shellQuote(p)
		}
		return name
	}
	binds := s.binds()
	var ins []string
	for in := range binds {
		ins = append(ins, in)
	}
	sort.Strings(ins)
	// The script runs in the new namespaces, before the chroot: it mounts
	// /proc, the devices and the binds, then chroots with unshare --root.
	// Its inputs are positional: root, work dir, bind sources, then argv.
	var script strings.Builder
	script.WriteString("set -e\nunset PWD OLDPWD\nR=$1 W=$2\nshift 2\n")
	fmt.Fprintf(&script, "%s -t proc proc \"$R/proc\"\n", tool("mount"))
	for _, d := range Devices {
		fmt.Fprintf(&script, "%s --bind /dev/%s \"$R/dev/%s\"\n", tool("mount"), d, d)
	}
	for _, in := range ins {
		mode := "ro"
		if binds[in].writable {
			mode = "rw"
		}
		fmt.Fprintf(&script, "%s --bind -o %s \"$1\" \"$R\"%s\nshift\n", tool("mount"), mode, shellQuote(in))
	}
	user := ""
	if s.UID != 0 || s.GID != 0 {
		user = fmt.Sprintf(" --setuid=%d --setgid=%d", s.UID, s.GID)
	}
	fmt.Fprintf(&script, "exec %s --root=\"$R\" --wd=\"$W\"%s -- \"$@\"\n", tool("unshare"), user)

	args := []string{"--mount", "--pid", "--fork", "--kill-child", "--", "/bin/sh", "-c", script.String(), "sh", filepath.Clean(s.Root), s.Inside(dir)}
	for _, in := range ins {
		args = append(args, binds[in].dir)
	}
	for _, a := range argv {
		args = append(args, s.Inside(a))
	}
	cmd := exec.CommandContext(ctx, "unshare", args...)
	if p, err := exec.LookPath("unshare"); err == nil {
		cmd.Path = p
	}
	cmd.Env = []string{}
	for _, e := range env {
		cmd.Env = append(cmd.Env, s.Inside(e))
	}
	return cmd
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

type bind struct {
	dir      string
	writable bool
}

// binds is Binds and WritableBinds in one map.
func (s *Sandbox) binds() map[string]bind {
	all := map[string]bind{}
	for in, dir := range s.Binds {
		all[in] = bind{dir: dir}
	}
	for in, dir := range s.WritableBinds {
		all[in] = bind{dir: dir, writable: true}
	}
	return all
}

// PrepareBinds makes the mount points of the binds inside Root.
func (s *Sandbox) PrepareBinds() error {
	for in := range s.binds() {
		if err := os.MkdirAll(filepath.Join(s.Root, in), 0o755); err != nil {
			return fmt.Errorf("preparing sandbox: %w", err)
		}
	}
	return nil
}
