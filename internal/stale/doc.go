// Package stale removes what killed processes left in a cache's temporary
// directory: entries old enough that no live run can still own them.
package stale
