package buildkittest

import "github.com/gorootimg/gorootimg/testkit/runtimetest"

// unmountBelow lazily unmounts whatever is still mounted below dir (an
// overlay of a killed daemon), deepest first, so dir can be removed.
func unmountBelow(dir string) { runtimetest.UnmountBelow(dir) }
