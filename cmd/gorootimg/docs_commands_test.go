package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestDocCommands parses every gorootimg command line in README.md and
// docs/*.md (in code blocks, "$ gorootimg ..." and "go run
// ./cmd/gorootimg ..." included, and in inline code) with the command's
// own flag set, as TestExamples does for the pipeline examples: a
// renamed or removed command or flag fails here. It also asks for one
// README example of every command.
func TestDocCommands(t *testing.T) {
	readmeHas := map[string]bool{}
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range docCalls(string(b)) {
			if err := checkDocCall(call); err != nil {
				t.Errorf("%s:%d: gorootimg %s: %v", file, call.line, strings.Join(call.args, " "), err)
			}
			if file == "README.md" && len(call.args) > 0 {
				readmeHas[call.args[0]] = true
			}
		}
	}
	for _, c := range sortedCommands() {
		if !readmeHas[c.name] {
			t.Errorf("README.md has no example of gorootimg %s", c.name)
		}
	}
}

// otherFlags are flags the docs quote of other programs (buildctl,
// podman, buildah, docker, dockerd, unshare, cp, zstd, hack/bench.sh), and one that
// docs/reliability.md names because gorootimg refuses it.
var otherFlags = []string{"from", "fork", "frontend", "isolation", "kill-child", "local", "long",
	"data-root", "exec-root", "mount", "output", "pid", "read-only", "read-only-tmpfs", "reflink", "root", "runroot", "runs", "tmpfs", "ulimit", "verbose"}

var quotedFlag = regexp.MustCompile("(?:^|[^\\w-])--([a-z][a-z0-9-]+)")

// TestDocFlags checks every --flag quoted in README.md and docs/*.md (in
// inline code, and in code-block lines that name gorootimg) against the
// flags of gorootimg's commands: a flag that is renamed or removed fails
// here even where no full command line names it. Flags of other programs
// quoted inline are listed in otherFlags.
func TestDocFlags(t *testing.T) {
	known := map[string]bool{"help": true}
	for _, c := range commands {
		fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
		c.flags(fs)
		fs.VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
	}
	for _, f := range otherFlags {
		if known[f] {
			t.Errorf("otherFlags lists --%s, which gorootimg has", f)
		}
		known[f] = true
	}
	for _, file := range docFiles(t) {
		b, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, span := range codeSpans(string(b)) {
			for _, m := range quotedFlag.FindAllStringSubmatch(span.text, -1) {
				if !known[m[1]] {
					t.Errorf("%s:%d: --%s is no flag of gorootimg (in %q)", file, span.line, m[1], span.text)
				}
			}
		}
	}
}

// codeSpan is the text of one line of a code block or one inline code span.
type codeSpan struct {
	line int
	text string
}

var inlineSpan = regexp.MustCompile("`([^`]+)`")

// codeSpans returns a document's code about gorootimg: each line of its
// fenced blocks that names gorootimg, and each inline code span elsewhere.
func codeSpans(doc string) []codeSpan {
	var out []codeSpan
	in := false
	for i, l := range strings.Split(doc, "\n") {
		switch {
		case fence.MatchString(l):
			in = !in
		case in:
			if strings.Contains(l, "gorootimg") {
				out = append(out, codeSpan{i + 1, l})
			}
		default:
			for _, m := range inlineSpan.FindAllStringSubmatch(l, -1) {
				out = append(out, codeSpan{i + 1, m[1]})
			}
		}
	}
	return out
}

// docCall is one gorootimg command line found in a document.
type docCall struct {
	line   int
	args   []string
	inline bool // in inline code, where "build --warm-cache" names a flag
}

// checkDocCall checks a call as checkCall does, and also accepts "help
// [COMMAND]" and, in inline code, a flag named without its value.
func checkDocCall(c docCall) error {
	if len(c.args) == 1 && c.args[0] == "help" {
		return nil
	}
	if len(c.args) == 2 && c.args[0] == "help" {
		if _, ok := commands[c.args[1]]; !ok {
			return fmt.Errorf("unknown command %q", c.args[1])
		}
		return nil
	}
	err := checkCall(c.args)
	if err != nil && c.inline && strings.HasPrefix(err.Error(), "flag needs an argument") {
		return nil
	}
	return err
}

var (
	fence      = regexp.MustCompile("^\\s*```")
	inlineCode = regexp.MustCompile("`(gorootimg [^`]+)`")
	goRun      = regexp.MustCompile(`\bgo run \./cmd/gorootimg\b`)
	// usageSyntax marks a synopsis ("[--go SPEC]", "A|B", "<command>")
	// rather than a command line.
	usageSyntax = regexp.MustCompile(`\[-|\||<[a-z]+>`)
	// message is a line gorootimg printed ("gorootimg build: ..."), not a
	// command line.
	message = regexp.MustCompile(`(^|\s)gorootimg( [a-z]+)?:`)
)

// docCalls returns the gorootimg command lines of a Markdown document:
// in fenced blocks every line (continuations joined; "$ " prompts and
// "# comments" removed), elsewhere inline code that starts "gorootimg ".
// Synopses with [optional] parts are skipped.
func docCalls(doc string) []docCall {
	var out []docCall
	lines := strings.Split(doc, "\n")
	inBlock := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if fence.MatchString(l) {
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			for _, m := range inlineCode.FindAllStringSubmatch(l, -1) {
				out = appendCalls(out, i+1, m[1], true)
			}
			continue
		}
		start := i
		cmd := strings.TrimPrefix(strings.TrimSpace(l), "$ ")
		for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
		}
		out = appendCalls(out, start+1, stripComment(cmd), false)
	}
	return out
}

func appendCalls(out []docCall, line int, cmd string, inline bool) []docCall {
	cmd = goRun.ReplaceAllString(cmd, "gorootimg")
	// cmd/gorootimg is the package, as in the architecture diagram.
	cmd = strings.ReplaceAll(cmd, "cmd/gorootimg", "cmd-gorootimg")
	if usageSyntax.MatchString(cmd) || message.MatchString(cmd) {
		return out
	}
	for _, args := range gorootimgCalls(cmd) {
		out = append(out, docCall{line, args, inline})
	}
	return out
}

// stripComment cuts a shell comment: " #" outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// TestQuickStart checks the README's quick start: exactly two commands,
// the first a gorootimg command (test/engines runs it as a new user does)
// and the second the very test command .ci/run runs.
func TestQuickStart(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(repoRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	var ciTest string
	for _, l := range strings.Split(string(ci), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[len(f)-1], "hack/test") {
			ciTest = f[len(f)-1]
		}
	}
	if ciTest == "" {
		t.Fatal(".ci/run runs no hack/test script")
	}
	cmds := quickStart(string(readme))
	if len(cmds) != 2 {
		t.Fatalf("the README's quick start has %d commands %q, want 2", len(cmds), cmds)
	}
	if !strings.HasPrefix(cmds[0], "go run ./cmd/gorootimg ") {
		t.Errorf("quick start command 1 = %q, want go run ./cmd/gorootimg ...", cmds[0])
	}
	if cmds[1] != ciTest {
		t.Errorf("quick start command 2 = %q, want what .ci/run runs: %q", cmds[1], ciTest)
	}
}

// quickStart returns the commands of the first code block after the
// "## Quick start" heading, comments removed.
func quickStart(readme string) []string {
	_, after, ok := strings.Cut(readme, "\n## Quick start\n")
	if !ok {
		return nil
	}
	var cmds []string
	in := false
	for _, l := range strings.Split(after, "\n") {
		if fence.MatchString(l) {
			if in {
				return cmds
			}
			in = true
			continue
		}
		if c := strings.TrimSpace(stripComment(l)); in && c != "" {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// TestDocCalls checks what docCalls finds in a small document.
func TestDocCalls(t *testing.T) {
	doc := "Run `gorootimg build --frob` or `gorootimg llb --warm-cache`.\n" +
		"```sh\n$ gorootimg plan --go 1.26 \\\n    --why x   # a comment --nope\n" +
		"go run ./cmd/gorootimg build\ngorootimg build [--go SPEC]\ngorootimg sdk: --go 1.22.99: no Go release\n" +
		"cmd/gorootimg     flags\n```\n"
	want := []docCall{
		{1, []string{"build", "--frob"}, true},
		{1, []string{"llb", "--warm-cache"}, true},
		{3, []string{"plan", "--go", "1.26", "--why", "x"}, false},
		{5, []string{"build"}, false},
	}
	got := docCalls(doc)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("docCalls = %v, want %v", got, want)
	}
	for i, ok := range []bool{false, true, true, true} {
		if err := checkDocCall(got[i]); (err == nil) != ok {
			t.Errorf("checkDocCall(%v) = %v, want ok=%v", got[i], err, ok)
		}
	}
}
