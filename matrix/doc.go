// Package matrix is the images file of "gorootimg publish": which Go
// releases, platforms and variants one repository holds, and under which
// tags. Parse and Validate read the file strictly (unknown keys are errors
// with their line); Expand turns it, given the releases the module proxy
// serves, into the list of images to build with the tags each gets; Plan
// compares their digests with what the tags point at now and says which
// images to push and which tags to move.
package matrix
