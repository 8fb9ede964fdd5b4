package main

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gorootimg/gorootimg/imagespec"
	"github.com/gorootimg/gorootimg/matrix"
)

// notImage are the flags of build and llb that are not keys of
// imagespec.Spec, and why: they choose the SDK, reach a registry, or say
// where the result goes and how the run behaves, none of which is what
// the image is made of. A new flag needs a spec key or a line here.
var notImage = map[string]string{
	"go":            "the SDK; the images file selects releases with its file-level go: key",
	"platform":      "the platforms; the images file lists them in its file-level platforms: key",
	"sha256":        "pins a local release archive given to --go; publish verifies the module proxy's zips through the checksum database",
	"insecure":      "registry access, a run setting; publish takes it from the docker config and --insecure of its own",
	"tag":           "where the image goes; the images file has repository: and tag templates",
	"push":          "an output; publish always pushes (or --dry-run)",
	"oci-layout":    "an output; publish writes to the registry",
	"tarball":       "an output; publish writes to the registry",
	"platform-tags": "how the OCI layout output tags its images",
	"json":          "how the result is printed",
	"report-json":   "where the size report goes",
	"no-cache":      "how the run uses the layer cache",
	"quiet":         "how much the run prints",
	"help":          "pflag's own",
	"prepare":       "llb's output: the directory of each platform's local context",
	"print":         "llb's output: what stdout gets",
}

// notInFile are keys of an images file variant that are no build flag.
var notInFile = map[string]string{
	"name":      "the variant's tag suffix; build names its image with --tag",
	"platforms": "a variant's own platforms instead of the file's (a Windows variant per ltsc base); build's --platform, like the file-level key, is no spec key",
}

// notInLLB are spec keys llb has no flag for (llbSpecOmitted says why).
var notInLLB = map[string]string{
	"compression":       "BuildKit's exporter compresses: buildctl --output compression=",
	"compression-level": "BuildKit's exporter compresses: buildctl --output compression-level=",
	"layers":            "the definition copies the GOROOT as one layer",
	"provenance":        "buildctl attaches its own: --opt attest:provenance=",
}

// specSample is a value for the spec field of key given as a flag and as
// YAML, and what the field then holds.
func specSample(t *testing.T, key string) (flag, yaml string, want any) {
	t.Helper()
	f, ok := specField(key)
	if !ok {
		t.Fatalf("imagespec.Spec has no field tagged %q", key)
	}
	switch f.Type.Kind() {
	case reflect.String:
		return "/drift/value", `"/drift/value"`, "/drift/value"
	case reflect.Int:
		return "7", "7", 7
	case reflect.Bool:
		return "true", "true", true
	case reflect.Slice:
		return "std,race", "[std, race]", []string{"std", "race"}
	}
	t.Fatalf("spec key %q: no sample for %s; add one", key, f.Type)
	return "", "", nil
}

func specField(key string) (reflect.StructField, bool) {
	t := reflect.TypeFor[imagespec.Spec]()
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func fieldValue(s imagespec.Spec, key string) any {
	f, _ := specField(key)
	return reflect.ValueOf(s).FieldByIndex(f.Index).Interface()
}

// frontEnd is a command whose flags bind a spec.
type frontEnd struct {
	name     string
	register func(fs *pflag.FlagSet) func() imagespec.Spec
	omitted  map[string]string // spec keys it has no flag for, and why
}

var frontEnds = []frontEnd{
	{"build", func(fs *pflag.FlagSet) func() imagespec.Spec {
		sf, _, f := registerBuildFlags(fs)
		return func() imagespec.Spec { return f.imageSpec(sf) }
	}, nil},
	{"llb", func(fs *pflag.FlagSet) func() imagespec.Spec {
		sf, _, f := registerLLBFlags(fs)
		return func() imagespec.Spec { return f.imageSpec(sf) }
	}, notInLLB},
}

// TestFrontEndsCannotDrift fails when a front end's flag has no images
// file key, a spec key (an images file key) has no flag, or a flag named
// as a key does not set that key's field, unless a reason is written in
// the tables above. The flags are read from the real flag sets and the
// keys from the spec's struct tags.
func TestFrontEndsCannotDrift(t *testing.T) {
	keys := imagespec.Keys()
	for _, fe := range frontEnds {
		t.Run(fe.name, func(t *testing.T) {
			fs := pflag.NewFlagSet(fe.name, pflag.ContinueOnError)
			fe.register(fs)
			fs.VisitAll(func(f *pflag.Flag) {
				if !slices.Contains(keys, f.Name) && notImage[f.Name] == "" {
					t.Errorf("%s --%s is no key of the image spec (the images file); add one, or a reason to notImage", fe.name, f.Name)
				}
			})
			for _, k := range keys {
				if fe.omitted[k] != "" {
					if fs.Lookup(k) != nil {
						t.Errorf("%s --%s exists but a reason says it does not; drop the reason", fe.name, k)
					}
					continue
				}
				if fs.Lookup(k) == nil {
					t.Errorf("%s has no flag for the spec key %q; add --%s, or a reason", fe.name, k, k)
					continue
				}
				checkFlagBinds(t, fe, k)
			}
		})
	}
	for _, k := range matrix.VariantKeys() {
		if !slices.Contains(keys, k) && notInFile[k] == "" {
			t.Errorf("images file key %q is no spec key and has no reason in notInFile", k)
		}
	}
	for k := range notImage {
		if slices.Contains(keys, k) {
			t.Errorf("notImage gives a reason for %q, which is a spec key: drop it", k)
		}
	}
}

// checkFlagBinds sets the flag of key on a fresh flag set and checks the
// spec's field of that key, and nothing else, holds the value.
func checkFlagBinds(t *testing.T, fe frontEnd, key string) {
	t.Helper()
	fs := pflag.NewFlagSet(fe.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	spec := fe.register(fs)
	before := spec()
	val, _, want := specSample(t, key)
	if err := fs.Parse([]string{"--" + key + "=" + val}); err != nil {
		t.Fatalf("%s --%s=%s: %v", fe.name, key, val, err)
	}
	after := spec()
	if got := fieldValue(after, key); !reflect.DeepEqual(got, want) {
		t.Errorf("%s --%s=%s sets the spec's %s to %v, want %v", fe.name, key, val, key, got, want)
	}
	for _, k := range imagespec.Keys() {
		if k != key && !reflect.DeepEqual(fieldValue(before, k), fieldValue(after, k)) {
			t.Errorf("%s --%s=%s also changed the spec's %s", fe.name, key, val, k)
		}
	}
}

// TestImagesFileTakesEverySpecKey checks each spec key decodes from a
// variant of an images file into the same field the flag sets.
func TestImagesFileTakesEverySpecKey(t *testing.T) {
	for _, k := range imagespec.Keys() {
		_, val, want := specSample(t, k)
		data := "repository: example.com/go\ngo: [\"1.26\"]\nplatforms: [linux/amd64]\nvariants:\n  - " + k + ": " + val + "\n"
		f, err := matrix.Parse("images.yaml", []byte(data))
		if err != nil {
			t.Errorf("images file with %s: %v", k, err)
			continue
		}
		if got := fieldValue(f.Variants[0].Spec, k); !reflect.DeepEqual(got, want) {
			t.Errorf("images file %s: %s gives the spec's %s %v, want %v", k, val, k, got, want)
		}
	}
}
