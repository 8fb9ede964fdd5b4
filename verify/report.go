package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/probes"
)

// Probe statuses.
const (
	StatusPass = "pass"
	StatusFail = "fail"
	// StatusNA is a probe that fails with the full SDK as well: the
	// environment (not the image's GOROOT) cannot run it. It does not fail
	// verification, but the report shows why.
	StatusNA = "n/a"
)

// Report is the outcome of Verify.
type Report struct {
	// Image names what was verified (set by the caller).
	Image     string `json:"image,omitempty"`
	Platform  string `json:"platform"`
	GoVersion string `json:"go_version"`
	GOROOT    string `json:"goroot"`
	// Recipe is the image's recipe label ("" when it has none).
	Recipe string `json:"recipe,omitempty"`
	// CapabilitySource says where the required capabilities came from.
	CapabilitySource string `json:"capability_source"`
	// Capabilities are those checked; Skipped those that could not be.
	Capabilities []string `json:"capabilities"`
	Skipped      []Skip   `json:"skipped,omitempty"`
	// Sandboxed says whether the probes ran chrooted in the image's own
	// file system; CCompiler is the C compiler found there.
	Sandboxed bool   `json:"sandboxed"`
	CCompiler string `json:"c_compiler,omitempty"`
	// Reference says where the full SDK came from.
	Reference string `json:"reference"`
	// WarmCache is the image's warm-cache label ("std", "std,race"): the
	// warm/ probes checked its cache. Empty for an image without one.
	WarmCache string `json:"warm_cache,omitempty"`
	// CanRun is the image's capabilities label as gorootimg build measured
	// it ("shell,cc,git,read-only-root", "none"); empty for an image
	// without the label.
	CanRun string  `json:"can_run,omitempty"`
	Probes []Probe `json:"probes"`

	// Mode is ModeNative (empty), ModeEmulated or ModeCross. Target is
	// the platform the probes built for and Host this machine's, when the
	// mode is not native; Emulator the binfmt_misc handler that ran the
	// target's binaries. Subset the probes run when not all: the foreign
	// subset (docs/diff-verify.md) or those WithProbes names.
	Mode     string   `json:"mode,omitempty"`
	Target   string   `json:"target,omitempty"`
	Host     string   `json:"host,omitempty"`
	Emulator string   `json:"emulator,omitempty"`
	Subset   []string `json:"subset,omitempty"`
	// NotPromised says why nothing was checked: the image's recipe does
	// not promise the target platform. Such a report passes.
	NotPromised string `json:"not_promised,omitempty"`
	// Structure is the structural check's verdict on a Windows image
	// (package wincheck); Note says what a Windows verification could not
	// prove here (WindowsNote).
	Structure string `json:"structure,omitempty"`
	Note      string `json:"note,omitempty"`
	// Elapsed is how long a foreign verification took.
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
}

// Skip is a required capability that could not be checked.
type Skip struct {
	Capability string `json:"capability"`
	Reason     string `json:"reason"`
}

// Probe is the verdict on one probe.
type Probe struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Reason says why the probe failed (or is n/a): the command's error
	// and output, or the artifacts that differ from the full SDK's.
	Reason string `json:"reason,omitempty"`
}

// Passed reports whether every probe passed (or was n/a) and at least one
// passed, or the target was not promised.
func (r *Report) Passed() bool {
	if r.NotPromised != "" {
		return true
	}
	passed := false
	for _, p := range r.Probes {
		switch p.Status {
		case StatusFail:
			return false
		case StatusPass:
			passed = true
		}
	}
	return passed
}

// Failures lists the failed probes.
func (r *Report) Failures() []Probe {
	var out []Probe
	for _, p := range r.Probes {
		if p.Status == StatusFail {
			out = append(out, p)
		}
	}
	return out
}

// judge compares the image's results with the reference's, probe by probe.
// modNames maps the copied user-module directories back to what the user
// gave.
func (r *Report) judge(ref, got []probes.Result, modNames map[string]string) {
	byName := map[string]probes.Result{}
	for _, x := range ref {
		byName[x.Probe] = x
	}
	rename := func(s string) string {
		for copied, orig := range modNames {
			s = strings.ReplaceAll(s, copied, orig)
		}
		return s
	}
	for _, g := range got {
		p := Probe{Name: rename(g.Probe)}
		w, ok := byName[g.Probe]
		switch {
		case !ok:
			p.Status, p.Reason = StatusFail, "no result from the full SDK to compare with"
		case !w.Pass && !g.Pass:
			p.Status, p.Reason = StatusNA, "fails with the full SDK too, so this environment cannot run it:\n"+w.Reason
		case w.Pass && !g.Pass:
			p.Status, p.Reason = StatusFail, g.Reason
		case !w.Pass && g.Pass:
			p.Status, p.Reason = StatusFail, "passes with the image but fails with the full SDK:\n"+w.Reason
		default:
			if diffs := probes.Compare([]probes.Result{w}, []probes.Result{g}); len(diffs) > 0 {
				p.Status, p.Reason = StatusFail, "differs from the full SDK:\n"+strings.Join(diffs, "\n")
			} else {
				p.Status = StatusPass
			}
		}
		p.Reason = rename(p.Reason)
		r.Probes = append(r.Probes, p)
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: a header, one line per probe
// and the reasons of those that did not pass.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Image != "" {
		fmt.Fprintf(&b, "image:        %s\n", r.Image)
	}
	fmt.Fprintf(&b, "platform:     %s\n", r.Platform)
	if r.NotPromised != "" {
		fmt.Fprintf(&b, "target:       %s\n\nNOT PROMISED: %s\n", r.Target, r.NotPromised)
		_, err := io.WriteString(w, b.String())
		return err
	}
	switch r.Mode {
	case ModeEmulated:
		fmt.Fprintf(&b, "mode:         emulated on %s through %s\n", r.Host, r.Emulator)
	case ModeCross:
		fmt.Fprintf(&b, "mode:         cross-compiling from %s to %s\n", r.Platform, r.Target)
	case ModeWindows:
		fmt.Fprintf(&b, "mode:         Windows image: its file set run by the %s toolchain of the same release, cross-compiling to %s\n", r.Host, r.Target)
		fmt.Fprintf(&b, "structure:    %s\n", r.Structure)
		fmt.Fprintf(&b, "NOTE:         %s\n", r.Note)
	}
	if r.Subset != nil {
		why := "selected"
		if r.Mode == ModeEmulated || r.Mode == ModeCross || r.Mode == ModeWindows {
			why = "the foreign-platform subset"
		}
		fmt.Fprintf(&b, "probes:       %s (%s)\n", strings.Join(r.Subset, ", "), why)
	}
	fmt.Fprintf(&b, "go:           %s (GOROOT %s)\n", r.GoVersion, r.GOROOT)
	fmt.Fprintf(&b, "requires:     %s (%s)\n", strings.Join(r.Capabilities, ", "), r.CapabilitySource)
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped:      %s: %s\n", s.Capability, s.Reason)
	}
	b.WriteString(r.sandboxLine())
	if r.WarmCache != "" {
		fmt.Fprintf(&b, "warm cache:   %s (label %s)\n", r.WarmCache, imageconfig.LabelWarmCache)
	}
	if r.CanRun != "" {
		fmt.Fprintf(&b, "can run:      %s (label %s)\n", r.CanRun, imageconfig.LabelCapabilities)
	}
	fmt.Fprintf(&b, "reference:    %s\n\n", r.Reference)
	width := 0
	for _, p := range r.Probes {
		width = max(width, len(p.Name))
	}
	var pass, fail, na int
	for _, p := range r.Probes {
		first, _, _ := strings.Cut(p.Reason, "\n")
		switch p.Status {
		case StatusPass:
			pass++
			fmt.Fprintf(&b, "PASS  %s\n", p.Name)
		case StatusFail:
			fail++
			fmt.Fprintf(&b, "FAIL  %-*s  %s\n", width, p.Name, first)
		default:
			na++
			fmt.Fprintf(&b, "N/A   %-*s  %s\n", width, p.Name, first)
		}
	}
	for _, p := range r.Probes {
		if p.Status != StatusPass {
			fmt.Fprintf(&b, "\n--- %s %s:\n%s\n", strings.ToUpper(p.Status), p.Name, indent(strings.TrimRight(p.Reason, "\n")))
		}
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n%s: %d passed, %d failed, %d n/a\n", verdict, pass, fail, na)
	if r.Mode != ModeNative {
		fmt.Fprintf(&b, "took %v\n", r.Elapsed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// sandboxLine is the report's sandbox: line.
func (r *Report) sandboxLine() string {
	if !r.Sandboxed {
		return "sandbox:      none (the image's GOROOT ran directly on this host)\n"
	}
	cc := r.CCompiler
	if cc == "" {
		cc = "none"
	}
	return fmt.Sprintf("sandbox:      chroot into the image's file system (C compiler: %s)\n", cc)
}
