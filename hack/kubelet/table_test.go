//go:build linux

package kubelet

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

const (
	tableStart = "<!-- kubelet-table:start -->"
	tableEnd   = "<!-- kubelet-table:end -->"
)

// writeTable replaces the text between the kubelet-table markers of
// o.doc with rows, headed by the date, the release and the versions of
// the kubelet, containerd and runc.
func writeTable(o options, rows []row) error {
	b, err := os.ReadFile(o.doc)
	if err != nil {
		return err
	}
	doc := string(b)
	i, j := strings.Index(doc, tableStart), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		return fmt.Errorf("writing the kubelet table: %s has no %s ... %s", o.doc, tableStart, tableEnd)
	}
	var t strings.Builder
	fmt.Fprintf(&t, "\nRun on %s with go%s images: %s, %s, %s.\n\n", time.Now().UTC().Format("2006-01-02"),
		o.release, kubeletVersion(o.kubelet), version("containerd", "--version"), version("runc", "--version"))
	t.WriteString("| pod | security context | container | result | seconds | note |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&t, "| %s | %s | %s | %s | %.1f | %s |\n", r.Pod, r.Security, r.Container, r.Result, r.Seconds,
			strings.ReplaceAll(r.Note, "|", `\|`))
	}
	doc = doc[:i+len(tableStart)] + "\n" + t.String() + "\n" + doc[j:]
	fmt.Print(t.String())
	return os.WriteFile(o.doc, []byte(doc), 0o644)
}

// kubeletVersion reads the k8s.io/kubernetes release a kubelet was built
// from out of its build info (a kubelet built with go build, not the
// Kubernetes makefiles, says v0.0.0-master to --version).
func kubeletVersion(bin string) string {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "kubelet (version unknown)"
	}
	for _, d := range bi.Deps {
		if d.Path == "k8s.io/kubernetes" {
			return "kubelet " + d.Version + " (standalone)"
		}
	}
	return "kubelet " + bi.Main.Version + " (standalone)"
}

// version returns the first line of bin's version output.
func version(bin, flag string) string {
	out, err := exec.Command(bin, flag).Output()
	if err != nil {
		return bin + " (version unknown)"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
