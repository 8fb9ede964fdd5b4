package verify

import (
	"encoding/json"
	"fmt"

	"github.com/gorootimg/gorootimg/probes"
)

// referenceCacheJSON is a ReferenceCache as MarshalJSON writes it.
type referenceCacheJSON struct {
	Key     string                   `json:"key"`
	Source  string                   `json:"source"`
	Results map[string]probes.Result `json:"results"`
}

// MarshalJSON encodes the cached results with the release, platform and
// environment (sandboxed or not, C compiler) they are for, so that a
// caller can keep a reference between processes (the tests' fixture
// store does).
func (c *ReferenceCache) MarshalJSON() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return json.Marshal(referenceCacheJSON{Key: c.key, Source: c.source, Results: c.results})
}

// UnmarshalJSON restores what MarshalJSON encoded. Verify uses the
// results only for the release, platform and environment they were made
// for; that they came from the same SDK content and probe corpus is the
// caller's to ensure (by where it keeps them).
func (c *ReferenceCache) UnmarshalJSON(b []byte) error {
	var v referenceCacheJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decoding reference cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.source, c.results = v.Key, v.Source, v.Results
	if c.results == nil {
		c.results = map[string]probes.Result{}
	}
	return nil
}
