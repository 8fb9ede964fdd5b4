// Package publish writes what package assemble assembled to its outputs: an
// OCI image layout, a "docker load" tarball, a registry. Each output is a
// Publisher that also attaches the result's referrers (SBOMs, provenance)
// in the way its format allows; MultiPublisher fans one result out to
// several. Layout is the only writer of OCI layouts in gorootimg.
package publish
