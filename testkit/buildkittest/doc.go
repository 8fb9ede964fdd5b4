// Package buildkittest builds buildkitd and buildctl from the tools module in
// hack/buildkit (once per version, cached below the gorootimg cache dir),
// starts a private buildkitd for a test, and runs buildctl against it.
// Tests that use it skip, saying why, when not run as root.
package buildkittest
