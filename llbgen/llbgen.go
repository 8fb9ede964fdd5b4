package llbgen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gorootimg/gorootimg/cacheprog"
	"github.com/gorootimg/gorootimg/goroot"
	"github.com/gorootimg/gorootimg/rootfs"
)

// DefaultLocalName is the name of the local context that carries the pruned
// GOROOT: buildctl build --local goroot=DIR.
const DefaultLocalName = "goroot"

// Spec describes the image of one platform. The definition never depends on
// the content of the local context: BuildKit reads that at solve time.
type Spec struct {
	// Required: Platform is the image's platform (OS and architecture).
	Platform v1.Platform
	// Required: Base is "scratch" or a registry reference pinned by digest
	// ("registry.example/debian@sha256:..." or "name:tag@sha256:...").
	Base string
	// Required: GOROOTPath is where the tree lands in the image ("/usr/local/go").
	GOROOTPath string
	// Required: Time is the modification time of every file copied and of
	// every directory created above GOROOTPath (SOURCE_DATE_EPOCH or the
	// release time), so the layer does not depend on when it was built.
	Time time.Time
	// Optional: LocalName is the local context's name; DefaultLocalName if empty.
	LocalName string
	// Optional: FS is the file system layer gorootimg build adds above the
	// base (rootfs.ImageFiles of the base, computed when the definition is
	// made); empty when the base has it all.
	FS []rootfs.File
	// Optional: Front is the go front (package cacheprog), built for the
	// image's release and platform: it goes at cacheprog.ImagePath as one
	// more layer above the GOROOT, below the warm cache, as gorootimg
	// build lays it. The definition carries its bytes.
	Front []byte
	// Optional: Warm adds the warm build cache as one more layer.
	Warm *Warm
}

// Validate reports the first problem with s. It changes nothing.
func (s Spec) Validate() error {
	if s.Platform.OS == "" || s.Platform.Architecture == "" {
		return errors.New("llb spec: platform needs an OS and an architecture")
	}
	if s.Base == "" {
		return errors.New("llb spec: empty base image; use \"scratch\" for none")
	}
	if s.Base != "scratch" && !strings.Contains(s.Base, "@sha256:") {
		return fmt.Errorf("llb spec: base %q is not pinned by digest; the definition would change when the tag moves", s.Base)
	}
	if err := goroot.CheckImagePath(s.GOROOTPath); err != nil {
		return fmt.Errorf("llb spec: GOROOT path %w", err)
	}
	if s.Time.IsZero() {
		return errors.New("llb spec: zero time; pass SOURCE_DATE_EPOCH or the release time")
	}
	if s.Warm != nil {
		if err := s.Warm.validate(s.GOROOTPath); err != nil {
			return err
		}
	}
	for _, f := range s.FS {
		if f.Name == "" || path.IsAbs(f.Name) || path.Clean(f.Name) != f.Name || strings.HasPrefix(f.Name, "../") {
			return fmt.Errorf("llb spec: file system layer path %q is not a clean relative path", f.Name)
		}
		if f.Mode.Type() != 0 && f.Mode.Type() != fs.ModeDir {
			return fmt.Errorf("llb spec: file system layer path %q: only directories and regular files, not %v", f.Name, f.Mode.Type())
		}
	}
	return nil
}

func (s Spec) localName() string {
	if s.LocalName == "" {
		return DefaultLocalName
	}
	return s.LocalName
}

// State returns the LLB graph for s: the base image with whatever it has at
// GOROOTPath removed (as gorootimg build hides it with an opaque whiteout),
// the directories above GOROOTPath, the local context copied to
// GOROOTPath, owned by root, then the go front and the warm cache when s
// has them.
func State(s Spec) (llb.State, error) {
	if err := s.Validate(); err != nil {
		return llb.State{}, err
	}
	p := ocispecs.Platform{OS: s.Platform.OS, Architecture: s.Platform.Architecture, Variant: s.Platform.Variant}
	base := llb.Scratch().Platform(p)
	if s.Base != "scratch" {
		base = llb.Image(s.Base, llb.Platform(p), llb.WithCustomNamef("base %s", s.Base))
	}
	local := llb.Local(s.localName(),
		llb.SharedKeyHint("gorootimg-"+s.localName()),
		llb.WithCustomNamef("pruned GOROOT (--local %s=DIR)", s.localName()),
	)
	t := s.Time.UTC()
	if len(s.FS) > 0 {
		base = base.File(fsAction(s.FS, t, p), llb.WithCustomName("file system layer (/tmp, GOPATH, ...)"))
	}
	parent := path.Dir(s.GOROOTPath)
	mkdirOpts := []llb.MkdirOption{llb.WithParents(true), llb.WithCreatedTime(t), llb.WithUIDGID(0, 0)}
	var fa *llb.FileAction
	if s.Base == "scratch" {
		fa = llb.Mkdir(parent, 0o755, mkdirOpts...)
	} else {
		fa = llb.Rm(s.GOROOTPath, llb.WithAllowNotFound(true)).Mkdir(parent, 0o755, mkdirOpts...)
	}
	fa = fa.Copy(local, "/", s.GOROOTPath, &llb.CopyInfo{
		CopyDirContentsOnly: true,
		CreateDestPath:      true,
		ChownOpt:            &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}},
		CreatedTime:         &t,
	})
	img := base.File(fa, llb.WithCustomNamef("copy GOROOT to %s", s.GOROOTPath))
	if len(s.Front) > 0 {
		front := llb.Mkdir(path.Dir(cacheprog.ImagePath), 0o755, mkdirOpts...).
			Mkfile(cacheprog.ImagePath, 0o755, s.Front, llb.WithCreatedTime(t), llb.WithUIDGID(0, 0))
		img = img.File(front, llb.WithCustomNamef("the go front at %s", cacheprog.ImagePath))
	}
	if s.Warm != nil {
		img = warmState(img, s.Warm, s.GOROOTPath, t)
	}
	return img, nil
}

// fsAction makes files in one file op, so BuildKit exports them as one
// layer, the one rootfs.Write makes for gorootimg build. Directories the
// base has are left as they are (mkdir -p), missing parents are made 0755,
// all owned by 0:0 and timed t. Mkdir and Mkfile keep only the permission
// bits, so a directory with the sticky bit (/tmp, the GOPATH) is copied
// from an empty directory on scratch with the mode set by the copy.
func fsAction(files []rootfs.File, t time.Time, p ocispecs.Platform) *llb.FileAction {
	root := llb.WithUIDGID(0, 0)
	var empty llb.State
	var fa *llb.FileAction
	for _, f := range files {
		name := "/" + f.Name
		var next *llb.FileAction
		switch {
		case f.Mode.IsDir() && f.Mode&(fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid) != 0:
			if empty.Output() == nil {
				empty = llb.Scratch().Platform(p).File(llb.Mkdir("/d", 0o755, llb.WithCreatedTime(t), root), llb.WithCustomName("empty directory"))
			}
			next = copyDir(fa, empty, name, os.FileMode(goroot.UnixMode(f.Mode)), t)
		case f.Mode.IsDir():
			next = mkdir(fa, name, f.Mode.Perm(), llb.WithParents(true), llb.WithCreatedTime(t), root)
		default:
			next = fa
			if dir := path.Dir(name); dir != "/" {
				next = mkdir(fa, dir, 0o755, llb.WithParents(true), llb.WithCreatedTime(t), root)
			}
			next = mkfile(next, name, f.Mode.Perm(), f.Data, llb.WithCreatedTime(t), root)
		}
		fa = next
	}
	return fa
}

func mkdir(fa *llb.FileAction, name string, m os.FileMode, opts ...llb.MkdirOption) *llb.FileAction {
	if fa == nil {
		return llb.Mkdir(name, m, opts...)
	}
	return fa.Mkdir(name, m, opts...)
}

func mkfile(fa *llb.FileAction, name string, m os.FileMode, data []byte, opts ...llb.MkfileOption) *llb.FileAction {
	if fa == nil {
		return llb.Mkfile(name, m, data, opts...)
	}
	return fa.Mkfile(name, m, data, opts...)
}

func copyDir(fa *llb.FileAction, src llb.State, dest string, mode os.FileMode, t time.Time) *llb.FileAction {
	ci := &llb.CopyInfo{
		CreateDestPath: true,
		ChownOpt:       &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}},
		Mode:           &llb.ChmodOpt{Mode: mode},
		CreatedTime:    &t,
	}
	if fa == nil {
		return llb.Copy(src, "/d", dest, ci)
	}
	return fa.Copy(src, "/d", dest, ci)
}

// Marshal returns the definition of s as buildctl build reads it from stdin.
// The same spec always gives the same bytes: the local source has a fixed
// unique ID, and the definition's metadata map is marshalled in key order
// (llb.WriteTo marshals it in Go's random map order).
func Marshal(ctx context.Context, s Spec) ([]byte, error) {
	st, err := State(s)
	if err != nil {
		return nil, err
	}
	p := ocispecs.Platform{OS: s.Platform.OS, Architecture: s.Platform.Architecture, Variant: s.Platform.Variant}
	def, err := st.Marshal(ctx, llb.Platform(p), llb.LocalUniqueID("gorootimg-"+s.localName()))
	if err != nil {
		return nil, fmt.Errorf("marshalling LLB for %s: %w", s.Platform, err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(def.ToPB())
	if err != nil {
		return nil, fmt.Errorf("marshalling LLB for %s: %w", s.Platform, err)
	}
	return b, nil
}
