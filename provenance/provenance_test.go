package provenance

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var update = flag.Bool("update", false, "rewrite testdata/statement.json")

// moduleHash is the dirhash example of the in-toto DigestSet spec: the
// h1: hash and the hex the spec says it encodes to.
const (
	moduleHash    = "h1:Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48="
	moduleHashHex = "2a1bb6127fb481c60f67692e22285fb306f3c6ffe62075e0ccf674d7c3adcb8f"
)

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testInput(t *testing.T) Input {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	return Input{
		Subject: Subject{Name: "ghcr.io/org/go-build", Digest: mustHash(t, "sha256:"+strings.Repeat("a", 64))},
		Builder: Builder{Version: "v0.4.0", GoVersion: "go1.26.8"},
		SDKs: []SDK{
			{Platform: arm64, Version: "go1.26.11", Source: "golang.org/toolchain@v0.0.1-go1.26.11.linux-arm64", Hash: "h1:" + strings.Repeat("B", 43) + "="},
			{Platform: amd64, Version: "go1.26.11", Source: "golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64", Hash: moduleHash},
		},
		Recipe:      Recipe{Name: "ci", Digest: "sha256:" + strings.Repeat("c", 64)},
		Base:        Base{Ref: "image:ghcr.io/org/go-base:bookworm", Digest: mustHash(t, "sha256:"+strings.Repeat("d", 64))},
		Platforms:   []v1.Platform{amd64, arm64},
		Compression: "zstd", CompressionLevel: 19,
		Layers:     "toolchain,std,cmd,tests,rest",
		WarmCache:  []string{"std"},
		GOROOTPath: "/usr/local/go",
		Tags:       []string{"1.26.11-bookworm", "1.26-bookworm"},
		Created:    time.Date(2026, 7, 7, 16, 0, 0, 0, time.FixedZone("x", 3600)),
	}
}

func TestGenerateGolden(t *testing.T) {
	got, err := Generate(testInput(t))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	golden := filepath.Join("testdata", "statement.json")
	var pretty bytes.Buffer
	json.Indent(&pretty, got, "", "  ")
	pretty.WriteByte('\n')
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading the golden statement (go test -run TestGenerateGolden -update writes it): %v", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("Generate =\n%s\nwant (%s)\n%s", pretty.Bytes(), golden, want)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	in := testInput(t)
	a, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	// The same input in another order of SDKs, another time zone of the
	// same instant, and another run give the same bytes.
	in2 := testInput(t)
	in2.SDKs[0], in2.SDKs[1] = in2.SDKs[1], in2.SDKs[0]
	in2.Created = in2.Created.UTC()
	for i := 0; i < 3; i++ {
		b, err := Generate(in2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("Generate gave different bytes for the same input:\n%s\n%s", a, b)
		}
	}
	// A different input gives different bytes.
	in2.Tags = append(in2.Tags, "bookworm")
	if c, _ := Generate(in2); bytes.Equal(a, c) {
		t.Errorf("Generate gave the same bytes for different tags")
	}
	if bytes.Contains(a, []byte(time.Now().UTC().Format("2006-01-02"))) {
		t.Errorf("statement holds today's date: %s", a)
	}
}

// TestNamesSDKHash checks that the statement names each SDK's hash as
// "gorootimg sdk" reports it, and as an in-toto dirHash digest.
func TestNamesSDKHash(t *testing.T) {
	b, err := Generate(testInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var st statement
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if d.Name != "golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64" {
			continue
		}
		found = true
		if d.Annotations["hash"] != moduleHash || d.Digest["dirHash"] != moduleHashHex {
			t.Errorf("SDK dependency = %+v, want hash %s and dirHash %s", d, moduleHash, moduleHashHex)
		}
		if d.URI != "pkg:golang/golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64" {
			t.Errorf("SDK dependency uri = %q", d.URI)
		}
	}
	if !found {
		t.Fatalf("no resolved dependency for the linux/amd64 SDK in %s", b)
	}
}

// TestValidateWithInToto parses the statement with the in-toto attestation
// library's own types and runs its validators, independently of Validate.
func TestValidateWithInToto(t *testing.T) {
	for _, name := range []string{"full", "minimal"} {
		t.Run(name, func(t *testing.T) {
			in := testInput(t)
			if name == "minimal" {
				in = Input{Subject: in.Subject, Builder: Builder{Version: "(devel) 1a2b"}, Platforms: in.Platforms[:1],
					SDKs: []SDK{{Platform: in.Platforms[0], Version: "go1.26.11", Source: "local:/usr/local/go"}}, Recipe: in.Recipe}
			}
			b, err := Generate(in)
			if err != nil {
				t.Fatal(err)
			}
			var st intoto.Statement
			if err := protojson.Unmarshal(b, &st); err != nil {
				t.Fatalf("in-toto Statement cannot parse the statement: %v\n%s", err, b)
			}
			if err := st.Validate(); err != nil {
				t.Errorf("in-toto Statement.Validate: %v", err)
			}
			for _, s := range st.GetSubject() {
				if err := s.Validate(); err != nil {
					t.Errorf("subject: %v", err)
				}
			}
			pb, err := protojson.Marshal(st.GetPredicate())
			if err != nil {
				t.Fatal(err)
			}
			var p slsa.Provenance
			if err := protojson.Unmarshal(pb, &p); err != nil {
				t.Fatalf("SLSA Provenance cannot parse the predicate: %v", err)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("SLSA Provenance.Validate: %v", err)
			}
			if got := p.GetRunDetails().GetBuilder().GetId(); !strings.HasPrefix(got, BuilderID+"@") {
				t.Errorf("builder.id = %q", got)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(in *Input)
		want   string
	}{
		{"no subject digest", func(in *Input) { in.Subject.Digest = v1.Hash{} }, `subject "ghcr.io/org/go-build": want a sha256 digest`},
		{"no builder version", func(in *Input) { in.Builder.Version = "" }, "no builder version"},
		{"no SDK", func(in *Input) { in.SDKs = nil }, "no SDK"},
		{"no platform", func(in *Input) { in.Platforms = nil }, "no platform"},
		{"SDK without source", func(in *Input) { in.SDKs[0].Source = "" }, "SDK go1.26.11 for linux/arm64: no source"},
		{"bad SDK hash", func(in *Input) { in.SDKs[1].Hash = "md5:abc" }, `hash "md5:abc": want sha256:HEX or h1:BASE64`},
		{"short h1", func(in *Input) { in.SDKs[1].Hash = "h1:AAAA" }, `hash "h1:AAAA": want h1: and a base64 SHA-256`},
		{"upper-case sha256", func(in *Input) { in.Recipe.Digest = "sha256:" + strings.Repeat("C", 64) }, "64 lower-case hex digits"},
		{"no recipe", func(in *Input) { in.Recipe = Recipe{} }, "no recipe"},
		{"base without digest", func(in *Input) { in.Base.Digest = v1.Hash{} }, `base "image:ghcr.io/org/go-base:bookworm": want the sha256 digest`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := testInput(t)
			tc.change(&in)
			b, err := Generate(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Generate = %s, %v; want error %q", b, err, tc.want)
			}
		})
	}
	// Scratch needs no digest and is no dependency.
	in := testInput(t)
	in.Base = Base{Ref: "scratch"}
	b, err := Generate(in)
	if err != nil || !strings.Contains(string(b), `"base":"scratch"`) || strings.Contains(string(b), `"name":"scratch"`) {
		t.Errorf("Generate(scratch base) = %s, %v", b, err)
	}
}
