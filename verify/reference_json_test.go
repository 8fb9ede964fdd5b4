package verify

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gorootimg/gorootimg/probes"
)

// TestReferenceCacheJSON round-trips a cache: the key, the source and
// every result survive, so a reloaded cache answers as the original.
func TestReferenceCacheJSON(t *testing.T) {
	c := NewReferenceCache()
	c.key, c.source = "go1.26.11 linux/amd64 target= sandboxed=true cc=", "golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64"
	c.results = map[string]probes.Result{
		"build": {Probe: "build", Pass: true, Artifacts: map[string]string{"hello": "aa"}},
		"race":  {Probe: "race", Reason: "exit status 2"},
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got := NewReferenceCache()
	if err := json.Unmarshal(b, got); err != nil {
		t.Fatal(err)
	}
	if got.key != c.key || got.source != c.source || !reflect.DeepEqual(got.results, c.results) {
		t.Errorf("round trip = %q %q %v, want %q %q %v", got.key, got.source, got.results, c.key, c.source, c.results)
	}
	empty := NewReferenceCache()
	if err := json.Unmarshal([]byte(`{"key":"k"}`), empty); err != nil || empty.results == nil {
		t.Errorf("Unmarshal without results = %v, results %v; want an empty map", err, empty.results)
	}
}
