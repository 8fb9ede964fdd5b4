package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorootimg/gorootimg/imageref"
	"github.com/gorootimg/gorootimg/sdk"
)

// bothErrs stands for go-containerregistry's list of errors (one per
// scheme tried), which errors.As searches.
type bothErrs []error

func (b bothErrs) Error() string   { return fmt.Sprint(b[0]) + "; " + fmt.Sprint(b[1]) }
func (b bothErrs) Unwrap() []error { return b }

func TestNameFlags(t *testing.T) {
	plain := &imageref.PlainHTTPError{Host: "10.0.0.1:5000"}
	other := errors.New("disk full")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unknown source", &sdk.SourceError{Spec: "frob", Err: sdk.ErrUnknownSource},
			`--go "frob": not a release (1.22.12, 1.22), local, a GOROOT directory, a .tar.gz release archive, image:REF or oci:DIR[:TAG]`},
		{"release", fmt.Errorf("loading A: %w", &sdk.SourceError{Spec: "1.22.99", Err: errors.New("no Go release 1.22.99; newest 1.22 is 1.22.12")}),
			"loading A: --go 1.22.99: no Go release 1.22.99; newest 1.22 is 1.22.12"},
		{"local", &sdk.SourceError{Spec: "local", Err: sdk.ErrNoLocalGo},
			"--go local: no go command found on PATH; name a release (such as 1.22.12), a GOROOT directory or an archive"},
		{"scratch", &sdk.SourceError{Spec: "scratch", Err: sdk.ErrScratch}, "--go scratch: the empty image holds no Go SDK"},
		{"sha256 of a directory", &sdk.SourceError{Spec: "/tmp/goroot", Err: sdk.ErrChecksumNotArchive},
			"--sha256 checks a release archive (.tar.gz); --go /tmp/goroot is not one"},
		{"checksum", &sdk.ChecksumError{File: "go.tar.gz", Got: "ab", Want: "cd"}, "go.tar.gz: sha256 is ab, but --sha256 says cd"},
		{"plain HTTP", fmt.Errorf("pushing: %w", bothErrs{errors.New("TLS refused"), plain}),
			"pushing: TLS refused; refusing plain HTTP to 10.0.0.1:5000: only loopback registries are reached without TLS; pass --insecure to allow it"},
		{"other", fmt.Errorf("writing: %w", other), "writing: disk full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nameFlags(tc.err)
			if got.Error() != tc.want {
				t.Errorf("nameFlags(%q) = %q, want %q", tc.err, got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("nameFlags(%q) lost the library error", tc.err)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNameFlagsThroughRegistryClient loads a private (RFC 1918) registry
// that speaks only plain HTTP: go-containerregistry falls back to HTTP,
// imageref refuses it, and the refusal survives go-containerregistry's
// wrapping so the CLI can add the --insecure hint.
func TestNameFlagsThroughRegistryClient(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	defer s.Close()
	redirect := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Scheme == "https" {
			return nil, errors.New("no TLS here")
		}
		req = req.Clone(req.Context())
		req.URL.Host = strings.TrimPrefix(s.URL, "http://")
		return http.DefaultTransport.RoundTrip(req)
	})
	_, err := imageref.Load(context.Background(), "10.1.2.3:5000/sdk:v1", imageref.WithTransport(redirect), imageref.WithRetries(1))
	if err == nil {
		t.Fatal("Load(plain-HTTP private registry) succeeded")
	}
	want := "refusing plain HTTP to 10.1.2.3:5000: only loopback registries are reached without TLS; pass --insecure to allow it"
	if got := nameFlags(err).Error(); !strings.Contains(got, want) {
		t.Errorf("nameFlags(%q) = %q, want it to contain %q", err, got, want)
	}
}
