package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/internal/humanize"
)

// progress shows build and push progress on stderr: bars on a terminal,
// one plain line per finished step otherwise (CI logs).
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	p    *mpb.Progress // nil without a terminal
	bars map[string]*mpb.Bar
	push *mpb.Bar

	finished bool
	lines    []string // logf lines kept until the bars are gone
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newProgress(ctx context.Context, w io.Writer, quiet bool) *progress {
	pr := &progress{w: w, bars: map[string]*mpb.Bar{}}
	if quiet {
		pr.w = io.Discard
	} else if isTerminal(w) {
		pr.p = mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(32))
	}
	return pr
}

func (pr *progress) bar(name string, total int64) *mpb.Bar {
	b := pr.bars[name]
	if b == nil {
		b = pr.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: 28, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f"), decor.Name(" "), decor.OnComplete(decor.Percentage(), "done")))
		pr.bars[name] = b
	}
	return b
}

// layer is assemble.Options.Progress.
func (pr *progress) layer(ev assemble.Event) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	name := ev.Platform + " " + ev.Layer
	if pr.p == nil {
		if ev.Finished {
			how := "written"
			if ev.Cached {
				how = "cached"
			}
			fmt.Fprintf(pr.w, "gorootimg: %s layer: %s content, %s\n", name, humanize.Bytes(ev.Total), how)
		}
		return
	}
	b := pr.bar(name, ev.Total)
	if ev.Finished {
		b.SetTotal(ev.Total, true)
		return
	}
	b.SetCurrent(ev.Done)
}

// pushed is publish.WithProgress.
func (pr *progress) pushed(done, total int64) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.p == nil {
		return // the total grows as blobs are found; runBuild logs the end
	}
	if pr.push == nil {
		pr.push = pr.bar("push", total)
	}
	pr.push.SetTotal(total, false)
	pr.push.SetCurrent(done)
	if done == total {
		pr.push.SetTotal(total, true)
	}
}

// logf prints a plain line (above the bars on a terminal).
func (pr *progress) logf(format string, args ...any) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.p != nil && !pr.finished {
		// Lines written through mpb after its bars complete can be lost:
		// keep them for done.
		pr.lines = append(pr.lines, fmt.Sprintf("gorootimg: "+format+"\n", args...))
		return
	}
	fmt.Fprintf(pr.w, "gorootimg: "+format+"\n", args...)
}

// done removes the bars; call it before printing anything else to stderr.
func (pr *progress) done() {
	if pr.p == nil || pr.finished {
		return
	}
	pr.finished = true
	pr.mu.Lock()
	for _, b := range pr.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	pr.mu.Unlock()
	pr.p.Wait()
	for _, l := range pr.lines {
		io.WriteString(pr.w, l)
	}
	pr.lines = nil
}
