// Package prefetch has one test, TestPrefetch, that .ci/run starts in the
// background while apt-get installs the end-to-end tools: it fills the
// fixture store with what needs no apt package (the gorootimg binary,
// buildkitd and buildctl) and downloads, with gorootimg sdk itself (so
// verified as every download is), the Go releases the end-to-end tests
// use. Without GOROOTIMG_PREFETCH=1 it skips; the tests fetch what they
// need themselves either way, so a failed prefetch costs only time.
package prefetch
