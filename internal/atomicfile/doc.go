// Package atomicfile writes files and directories under a temporary name and
// renames them into place, so a crash never leaves a half-written result.
package atomicfile
