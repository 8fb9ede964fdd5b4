package publish

import (
	"context"
	"io"
	"log"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/gorootimg/gorootimg/assemble"
	"github.com/gorootimg/gorootimg/sdk"
	"github.com/gorootimg/gorootimg/testkit/imagetest"
)

func fakeSDKs(t *testing.T, arches ...string) []*sdk.SDK {
	t.Helper()
	return imagetest.FakeSDKs(t, "../assemble/testdata", arches...)
}

func buildFake(t *testing.T, o assemble.Options) *assemble.Result {
	t.Helper()
	if o.SDKs == nil {
		o.SDKs = fakeSDKs(t, "amd64", "arm64")
	}
	res, err := assemble.Assemble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func publishLayout(ctx context.Context, dir, tag string, res *assemble.Result, opts ...Option) error {
	p, err := NewLayout(dir, tag, opts...)
	if err != nil {
		return err
	}
	return p.Publish(ctx, res)
}

func writeTarball(ctx context.Context, file, ref string, res *assemble.Result) error {
	p, err := NewTarball(file, ref)
	if err != nil {
		return err
	}
	return p.Publish(ctx, res)
}

func checkPush(ctx context.Context, ref string) error {
	p, err := NewRegistry(ref)
	if err != nil {
		return err
	}
	return p.Check(ctx)
}

func push(ctx context.Context, ref string, res *assemble.Result) error {
	p, err := NewRegistry(ref)
	if err != nil {
		return err
	}
	return p.Publish(ctx, res)
}

func quietRegistry() http.Handler { return registry.New(registry.Logger(log.New(io.Discard, "", 0))) }
