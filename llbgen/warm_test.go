package llbgen

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"

	"github.com/gorootimg/gorootimg/imageconfig"
	"github.com/gorootimg/gorootimg/rootfs"
)

// decodeOps returns the ops of a marshalled definition.
func decodeOps(t *testing.T, b []byte) []*pb.Op {
	t.Helper()
	var def pb.Definition
	if err := proto.Unmarshal(b, &def); err != nil {
		t.Fatalf("decoding definition: %v", err)
	}
	var ops []*pb.Op
	for _, raw := range def.Def {
		var op pb.Op
		if err := proto.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, &op)
	}
	return ops
}

// TestMarshalWarm checks the warm-cache step as BuildKit receives it: the
// driver built by the image's go without network, then run with the
// image config's Env, -time and -list, over a scratch mount at GOCACHE.
func TestMarshalWarm(t *testing.T) {
	cfg := imageconfig.Config(nil, imageconfig.Meta{GoVersion: "go1.99.1", GOROOT: "/usr/local/go", Created: testTime, Recipe: "test", Platform: amd64, WarmCache: []string{"std"}})
	if got := cfg.Config.Labels[imageconfig.LabelWarmCache]; got != "std" {
		t.Errorf("label %s = %q, want std", imageconfig.LabelWarmCache, got)
	}
	fsFiles, err := rootfs.ImageFiles(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := Spec{Platform: amd64, Base: "scratch", GOROOTPath: "/usr/local/go", Time: testTime, FS: fsFiles,
		Warm: &Warm{List: []string{"std"}, Env: cfg.Config.Env, Driver: map[string][]byte{"main.go": []byte("package main\n")}}}
	b, err := Marshal(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var execs []*pb.ExecOp
	var sticky bool
	for _, op := range decodeOps(t, b) {
		if e := op.GetExec(); e != nil {
			execs = append(execs, e)
		}
		for _, a := range op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil && c.Dest == "/tmp" && c.Mode == 0o1777 {
				sticky = true
			}
		}
	}
	if !sticky {
		t.Error("no copy makes /tmp with mode 01777 (the file system layer)")
	}
	if len(execs) != 2 {
		t.Fatalf("definition has %d exec ops, want 2 (build the driver, run it)", len(execs))
	}
	build, run := execs[0], execs[1]
	if build.Meta.Args[0] != "/usr/local/go/bin/go" || !slices.Contains(build.Meta.Args, "build") {
		build, run = run, build
	}
	if want := []string{"/usr/local/go/bin/go", "build", "-o", "/gorootimg-warm/gorootimg-warm", "."}; !slices.Equal(build.Meta.Args, want) {
		t.Errorf("driver build args = %q, want %q", build.Meta.Args, want)
	}
	if want := []string{"/gorootimg-warm/gorootimg-warm", "-time", fmt.Sprint(testTime.Unix()), "-list", "std", "-dir", "/tmp"}; !slices.Equal(run.Meta.Args, want) {
		t.Errorf("driver args = %q, want %q", run.Meta.Args, want)
	}
	if !slices.Equal(run.Meta.Env, cfg.Config.Env) {
		t.Errorf("driver env = %q, want the config's %q", run.Meta.Env, cfg.Config.Env)
	}
	if !slices.Contains(run.Meta.Env, "GOCACHE="+rootfs.GOCACHE) {
		t.Errorf("driver env %q has no GOCACHE=%s", run.Meta.Env, rootfs.GOCACHE)
	}
	if !slices.Contains(build.Meta.Env, "GOCACHE="+driverCache) {
		t.Errorf("driver build env %q does not move GOCACHE to %s", build.Meta.Env, driverCache)
	}
	for _, e := range []*pb.ExecOp{build, run} {
		if e.Network != pb.NetMode_NONE {
			t.Errorf("%q runs with network %v, want none", e.Meta.Args, e.Network)
		}
	}
	var cacheMount bool
	for _, m := range run.Mounts {
		if m.Dest == rootfs.GOCACHE && m.Input == -1 && !m.Readonly && m.Output >= 0 {
			cacheMount = true
		}
	}
	if !cacheMount {
		t.Errorf("the driver has no writable scratch mount at %s: %v", rootfs.GOCACHE, run.Mounts)
	}
}

// TestValidateWarm checks the warm step's inputs are checked.
func TestValidateWarm(t *testing.T) {
	env := []string{"GOROOT=/usr/local/go", "GOCACHE=/go/.cache/go-build"}
	drv := map[string][]byte{"main.go": nil}
	for _, tc := range []struct {
		name string
		w    Warm
	}{
		{"empty list", Warm{Env: env, Driver: drv}},
		{"no driver", Warm{List: []string{"std"}, Env: env}},
		{"other GOROOT", Warm{List: []string{"std"}, Env: []string{"GOROOT=/opt/go", "GOCACHE=/c"}, Driver: drv}},
		{"relative GOCACHE", Warm{List: []string{"std"}, Env: []string{"GOROOT=/usr/local/go", "GOCACHE=c"}, Driver: drv}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Spec{Platform: amd64, Base: "scratch", GOROOTPath: "/usr/local/go", Time: testTime, Warm: &tc.w}
			if err := s.Validate(); err == nil {
				t.Errorf("Validate(%+v) = nil, want an error", tc.w)
			}
		})
	}
}
