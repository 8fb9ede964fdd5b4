package provenance

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValidate breaks one required field of a good statement at a time.
func TestValidate(t *testing.T) {
	good, err := Generate(testInput(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(good); err != nil {
		t.Fatalf("Validate(Generate(...)) = %v", err)
	}
	pred := func(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }
	bd := func(st map[string]any) map[string]any { return pred(st)["buildDefinition"].(map[string]any) }
	builder := func(st map[string]any) map[string]any {
		return pred(st)["runDetails"].(map[string]any)["builder"].(map[string]any)
	}
	dep := func(st map[string]any, i int) map[string]any {
		return bd(st)["resolvedDependencies"].([]any)[i].(map[string]any)
	}
	for _, tc := range []struct {
		name   string
		mutate func(st map[string]any)
		want   string
	}{
		{"wrong _type", func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" }, "_type is"},
		{"no subject", func(st map[string]any) { delete(st, "subject") }, "subject: want at least one"},
		{"empty subject", func(st map[string]any) { st["subject"] = []any{} }, "subject: want at least one"},
		{"subject without digest", func(st map[string]any) { st["subject"] = []any{map[string]any{"name": "x"}} }, "subject[0]: digest: required"},
		{"short subject digest", func(st map[string]any) {
			st["subject"] = []any{map[string]any{"digest": map[string]any{"sha256": "abcd"}}}
		}, "subject[0]: digest.sha256: want 32 bytes"},
		{"wrong predicateType", func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v0.2" }, "predicateType is"},
		{"no predicate", func(st map[string]any) { delete(st, "predicate") }, "predicate: want an object"},
		{"no buildDefinition", func(st map[string]any) { delete(pred(st), "buildDefinition") }, "buildDefinition: want an object"},
		{"no buildType", func(st map[string]any) { delete(bd(st), "buildType") }, "buildType: required"},
		{"buildType not a URI", func(st map[string]any) { bd(st)["buildType"] = "gorootimg build" }, "buildType: \"gorootimg build\": want a URI"},
		{"no externalParameters", func(st map[string]any) { delete(bd(st), "externalParameters") }, "externalParameters: want a non-empty object"},
		{"empty externalParameters", func(st map[string]any) { bd(st)["externalParameters"] = map[string]any{} }, "externalParameters: want a non-empty object"},
		{"internalParameters a list", func(st map[string]any) { bd(st)["internalParameters"] = []any{} }, "internalParameters: want an object"},
		{"dependency with a name only", func(st map[string]any) {
			bd(st)["resolvedDependencies"].([]any)[2] = map[string]any{"name": "recipe:ci"}
		}, "resolvedDependencies[2]: want at least one of uri, digest or content"},
		{"dependency with a bad dirHash", func(st map[string]any) {
			dep(st, 0)["digest"] = map[string]any{"dirHash": "Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48="}
		}, "resolvedDependencies[0]: digest.dirHash: want 32 bytes"},
		{"no runDetails", func(st map[string]any) { delete(pred(st), "runDetails") }, "runDetails: want an object"},
		{"no builder", func(st map[string]any) { delete(pred(st)["runDetails"].(map[string]any), "builder") }, "builder: want an object"},
		{"no builder id", func(st map[string]any) { delete(builder(st), "id") }, "builder.id: required"},
		{"builder version not strings", func(st map[string]any) { builder(st)["version"] = map[string]any{"go": 1} }, "builder.version.go: want a string"},
		{"bad startedOn", func(st map[string]any) {
			pred(st)["runDetails"].(map[string]any)["metadata"] = map[string]any{"startedOn": "yesterday"}
		}, "metadata.startedOn: want an RFC 3339 time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st map[string]any
			if err := json.Unmarshal(good, &st); err != nil {
				t.Fatal(err)
			}
			tc.mutate(st)
			b, _ := json.Marshal(st)
			err := Validate(b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
	if err := Validate([]byte("[]")); err == nil {
		t.Errorf("Validate([]) = nil, want an error")
	}
}
