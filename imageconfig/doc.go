// Package imageconfig is the identity of a gorootimg image in one place:
// the labels it carries (Label*, Labels), its config (Config: Env, PATH,
// labels merged over the base's, platform, created time), and the rule for
// its time (Created: SOURCE_DATE_EPOCH, else the SDK's release time). Both
// gorootimg build and gorootimg llb make their configs here, so the two
// give the same image config for the same inputs; verify and diff read the
// labels by these names.
package imageconfig
