// Package humanize formats sizes for people: the tables and progress
// lines of build, diff and the CLI.
package humanize
