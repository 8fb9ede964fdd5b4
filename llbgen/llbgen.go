package llbgen

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gorootimg/gorootimg/goroot"
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
// the directories above GOROOTPath, and the local context copied to
// GOROOTPath, owned by root.
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
	return base.File(fa, llb.WithCustomNamef("copy GOROOT to %s", s.GOROOTPath)), nil
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
