//go:build linux

// Package kubelet runs a real kubelet in standalone mode (static pods from
// a manifest directory over containerd's CRI, hostNetwork pods) with the
// pods of podCases, judges each container, and writes the table between
// the kubelet-table markers of docs/engines.md. hack/kubelet.sh builds the
// kubelet, crictl and the images and runs TestKubelet; run it through that
// script.
package kubelet

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorootimg/gorootimg/testkit/runtimetest"
)

type options struct {
	kubelet, crictl, dir, testdata, doc string
	rootTar, rootRef                    string
	nonrootTar, nonrootRef              string
	release, nonrootWaits, roWaits      string
	port                                int
}

var o options

func init() {
	flag.StringVar(&o.kubelet, "kubelet", "", "the kubelet binary")
	flag.StringVar(&o.crictl, "crictl", "", "the crictl binary")
	flag.StringVar(&o.dir, "dir", "", "a short, empty work directory")
	flag.StringVar(&o.testdata, "testdata", "../../test/engines/testdata", "the modules the pods build")
	flag.StringVar(&o.doc, "doc", "../../docs/engines.md", "the file whose kubelet table is replaced")
	flag.StringVar(&o.rootTar, "root-tar", "", "docker-load tarball of the image that runs as root")
	flag.StringVar(&o.rootRef, "root-ref", "", "its reference as containerd names it")
	flag.StringVar(&o.nonrootTar, "nonroot-tar", "", "docker-load tarball of the image with a numeric non-root user")
	flag.StringVar(&o.nonrootRef, "nonroot-ref", "", "its reference as containerd names it")
	flag.StringVar(&o.nonrootWaits, "nonroot-waits", "", "why there is no non-root image (its pods become skip rows)")
	flag.StringVar(&o.roWaits, "readonly-waits", "", "why the read-only pods cannot pass yet (skip rows)")
	flag.StringVar(&o.release, "release", "", "the images' Go release, for the table")
	flag.IntVar(&o.port, "port", 10355, "the kubelet's read-only port (and the two above it)")
}

// TestKubelet is the proof hack/kubelet.sh runs (a test, so that it may
// use testkit/runtimetest): a standalone kubelet over containerd's CRI
// with the pods of podCases; each container is a row of the kubelet table
// in docs/engines.md. A fail row fails the test.
func TestKubelet(t *testing.T) {
	if o.kubelet == "" || o.rootTar == "" {
		t.Skip("skipping: hack/kubelet.sh runs this with -args -kubelet BIN -root-tar FILE ...")
	}
	if o.roWaits == "" {
		var err error
		if o.roWaits, err = runtimetest.ReadOnlyWaits(o.rootTar); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	rows, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTable(o, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Result == "fail" {
			t.Errorf("%s: %s: %s", r.Pod, r.Container, r.Note)
		}
	}
}

// run starts containerd and the kubelet, runs the pods and returns the
// rows; it stops both by PID whatever happens.
func run(ctx context.Context, o options) (rows []row, err error) {
	pause, err := runtimetest.BuildPause(ctx, o.dir)
	if err != nil {
		return nil, err
	}
	c, err := runtimetest.StartContainerd(ctx, filepath.Join(o.dir, "c"), runtimetest.ContainerdOptions{
		SandboxImage: runtimetest.PauseRef, Crictl: o.crictl})
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := c.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	for _, tar := range []string{pause, o.rootTar, o.nonrootTar} {
		if tar == "" {
			continue
		}
		if _, err := c.ImportImage(ctx, tar); err != nil {
			return nil, err
		}
	}
	k, err := runtimetest.StartKubelet(ctx, runtimetest.KubeletOptions{Bin: o.kubelet, Dir: filepath.Join(o.dir, "k"),
		Endpoint: "unix://" + c.Address, ReadOnlyPort: o.port})
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := k.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	fmt.Fprintf(os.Stderr, "kubelet: containerd (PID %d) and kubelet (PID %d) up\n", c.PID(), k.PID())
	return runPods(ctx, o, k)
}

// runPods writes the manifests of the pods that can run, waits for each
// to finish (or be refused) and judges them.
func runPods(ctx context.Context, o options, k *runtimetest.Kubelet) ([]row, error) {
	var cases []podCase
	skipped := map[string]row{}
	for _, c := range podCases {
		ref, waits := o.rootRef, []string{}
		if c.image == "nonroot" {
			ref = o.nonrootRef
			if o.nonrootWaits != "" {
				waits = append(waits, o.nonrootWaits)
			}
		}
		if c.readOnly && c.refuse == "" && o.roWaits != "" {
			waits = append(waits, o.roWaits)
		}
		if len(waits) > 0 {
			skipped[c.name] = row{Pod: c.name, Security: c.security(), Result: "skip", Note: strings.Join(waits, "; ")}
			continue
		}
		b, err := c.manifest(ref, o.testdata)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(k.ManifestDir(), c.name+".json"), b, 0o644); err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	got, err := waitPods(wctx, k, cases)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, c := range podCases { // the table in podCases' order
		if r, ok := skipped[c.name]; ok {
			rows = append(rows, r)
		} else {
			rows = append(rows, judge(c, got[c.name], k.LogDir())...)
		}
	}
	return rows, nil
}
