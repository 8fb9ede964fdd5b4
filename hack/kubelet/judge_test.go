//go:build linux

package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/testkit/runtimetest"
)

// row is one line of the kubelet table.
type row struct {
	Pod, Container, Security string
	Result                   string // pass, fail or skip
	Seconds                  float64
	Note                     string
}

// nodeName is the kubelet's --hostname-override: a static pod's name
// gets it as a suffix.
const nodeName = "gorootimg-kubelet"

// waitPods polls the kubelet's /pods until every case's containers ended
// (terminated, or waiting on a refusal the kubelet keeps repeating) and
// returns the statuses by case name.
func waitPods(ctx context.Context, k *runtimetest.Kubelet, cases []podCase) (map[string]runtimetest.PodStatus, error) {
	for {
		pods, err := k.Pods(ctx)
		got := map[string]runtimetest.PodStatus{}
		for _, p := range pods {
			got[strings.TrimSuffix(p.Metadata.Name, "-"+nodeName)] = p
		}
		done := err == nil
		for _, c := range cases {
			done = done && ended(got[c.name], c)
		}
		if done {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for the pods: %w (last: %v)", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// finalReasons are the waiting reasons that end a container here: the
// kubelet refuses its config (runAsNonRoot on a root image) or cannot get
// its image (imagePullPolicy Never), and says so again on every retry.
var finalReasons = map[string]bool{"CreateContainerConfigError": true, "CreateContainerError": true,
	"ErrImageNeverPull": true, "InvalidImageName": true}

// ended says whether both containers of p are terminated, or (for a case
// that must be refused) waiting with a config error.
func ended(p runtimetest.PodStatus, c podCase) bool {
	st := p.Status.ContainerStatuses
	if len(st) < 2 {
		return false
	}
	for _, s := range st {
		w := s.State.Waiting
		if s.State.Terminated == nil && (w == nil || !finalReasons[w.Reason]) {
			return false
		}
	}
	return true
}

// judge makes c's rows from its pod's status and the build container's log.
func judge(c podCase, p runtimetest.PodStatus, logDir string) []row {
	var rows []row
	for _, s := range p.Status.ContainerStatuses {
		r := row{Pod: c.name, Container: s.Name, Security: c.security(), Result: "pass"}
		t, w := s.State.Terminated, s.State.Waiting
		switch {
		case c.refuse != "" && w != nil && strings.Contains(w.Message, c.refuse):
			r.Note = "refused as it must be: " + w.Message
		case c.refuse != "":
			r.Result, r.Note = "fail", "admitted; want the kubelet's refusal "+c.refuse
		case w != nil:
			r.Result, r.Note = "fail", w.Reason+": "+w.Message
		case t.ExitCode != 0:
			r.Result, r.Note = "fail", fmt.Sprintf("exit %d: %s", t.ExitCode, logTail(logDir, c.name, s.Name))
		default:
			r.Seconds = t.FinishedAt.Sub(t.StartedAt).Seconds()
			if s.Name == "build" {
				r.Result, r.Note = checkWarm(logDir, c.name)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// checkWarm reads the build container's go build -x output: no package
// but main may be compiled.
func checkWarm(logDir, pod string) (result, note string) {
	if err := runtimetest.CheckNoStdCompile(readLog(logDir, pod, "build")); err != nil {
		return "fail", strings.Join(strings.Fields(err.Error()), " ")
	}
	return "pass", "go build -x of a net/http program: no std package compiled"
}

// readLog returns a container's log (CRI format lines) from the kubelet's
// podLogsDir.
func readLog(logDir, pod, container string) string {
	files, _ := filepath.Glob(filepath.Join(logDir, "default_"+pod+"-"+nodeName+"_*", container, "*.log"))
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

func logTail(logDir, pod, container string) string {
	s := readLog(logDir, pod, container)
	if len(s) > 300 {
		s = "..." + s[len(s)-300:]
	}
	return strings.Join(strings.Fields(s), " ")
}
