package publish

import (
	"context"
	"fmt"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/imageref"
)

// Publisher writes an assembled result to one output.
type Publisher interface {
	// Check reports, before any work is done, what would keep Publish
	// from writing: a directory that is not a layout, a registry that
	// refuses our credentials.
	Check(ctx context.Context) error
	// Publish writes res's index (or image) and attaches its referrers.
	Publish(ctx context.Context, res *assemble.Result) error
}

var (
	_ Publisher = (*Layout)(nil)
	_ Publisher = (*Tarball)(nil)
	_ Publisher = (*Registry)(nil)
	_ Publisher = MultiPublisher(nil)
)

// MultiPublisher publishes to each of its publishers in order, stopping at
// the first error.
type MultiPublisher []Publisher

// Check checks every publisher, in order.
func (m MultiPublisher) Check(ctx context.Context) error {
	for _, p := range m {
		if err := p.Check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Publish publishes res to every publisher, in order.
func (m MultiPublisher) Publish(ctx context.Context, res *assemble.Result) error {
	for _, p := range m {
		if err := p.Publish(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

// Option configures a publisher. Each publisher uses the options that
// concern its output and ignores the others.
type Option func(*options) error

type options struct {
	logf         func(format string, args ...any)
	platformTags bool
	remote       []imageref.Option
	progress     func(done, total int64)
	jobs         int
}

func makeOptions(opts []Option) (options, error) {
	o := options{logf: func(string, ...any) {}, jobs: 4}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	return o, nil
}

// WithLogf has each publisher report what it wrote ("wrote OCI layout
// out", "pushed SBOM ... for linux/amd64") through f, one line per call
// without a trailing newline.
func WithLogf(f func(format string, args ...any)) Option {
	return func(o *options) error {
		if f == nil {
			return fmt.Errorf("publish: WithLogf(nil)")
		}
		o.logf = f
		return nil
	}
}

// WithPlatformTags makes Layout also list each platform's image manifest
// in index.json, tagged PlatformTag(tag, platform), for tools that do not
// read nested indexes (umoci, oci-image-tool). Such a layout has more than
// one entry, so readers must then name a tag (oci:DIR:TAG).
func WithPlatformTags(on bool) Option {
	return func(o *options) error {
		o.platformTags = on
		return nil
	}
}

// WithRemote sets Registry's registry options (credentials, transport,
// --insecure).
func WithRemote(opts ...imageref.Option) Option {
	return func(o *options) error {
		o.remote = append(o.remote, opts...)
		return nil
	}
}

// WithProgress has Registry report the bytes pushed so far and the total
// (which grows as blobs are found).
func WithProgress(f func(done, total int64)) Option {
	return func(o *options) error {
		o.progress = f
		return nil
	}
}

// WithJobs sets how many blobs Registry uploads at once (default 4).
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("publish: %d jobs; want 1 or more", n)
		}
		o.jobs = n
		return nil
	}
}
