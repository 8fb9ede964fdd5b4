package prefetch

import (
	"testing"

	"github.com/gorootimg/gorootimg/testkit/runtimetest"
)

// crictl installs crictl into the fixture store (test/engines' CRI rows).
func crictl(t *testing.T) string { return runtimetest.Crictl(t) }
