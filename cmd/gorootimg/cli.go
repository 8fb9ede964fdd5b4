package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes, as crane and the go command use them.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env carries what a command writes to and reads from. Commands never touch
// os.Stdout, os.Stderr or os.Getenv directly so tests can run them in-process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// logf prints one "gorootimg: ..." line on stderr.
func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "gorootimg: "+format+"\n", args...)
}

// command is one subcommand. Each parses its own flag set in run.
type command struct {
	name    string
	summary string // one line, shown by "gorootimg help"
	usage   string // "gorootimg build [flags]"
	long    string // paragraphs shown by "gorootimg help NAME"
	// flags declares the command's flags on fs and returns the function
	// that runs the command once they are parsed.
	flags func(fs *pflag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, &env{stdout: stdout, stderr: stderr, getenv: osGetenv})
}

func runEnv(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		printMainUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		return runHelp(e, args[1:])
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "gorootimg: unknown command %q\nRun 'gorootimg help' for the list of commands.\n", name)
		return exitUsage
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = true
	body := c.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printCommandUsage(e.stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "gorootimg %s: %v\nRun 'gorootimg help %s' for usage.\n", c.name, err, c.name)
		return exitUsage
	}
	err := body(ctx, e, fs.Args())
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "gorootimg %s: %v\nRun 'gorootimg help %s' for usage.\n", c.name, err, c.name)
		return exitUsage
	}
	var se *silentError
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintf(e.stderr, "gorootimg %s: %v\n", c.name, nameFlags(err))
	return exitFailure
}

// silentError ends a command with an exit code after the command already
// reported why (for example a failed verify whose table says what failed).
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func runHelp(e *env, args []string) int {
	if len(args) == 0 {
		printMainUsage(e.stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "gorootimg help: unknown command %q\n", args[0])
		return exitUsage
	}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	c.flags(fs)
	printCommandUsage(e.stdout, c, fs)
	return exitOK
}

func printMainUsage(w io.Writer) {
	fmt.Fprintf(w, "gorootimg builds minimal Go SDK container images for CI.\n\nUsage:\n\n\tgorootimg <command> [flags]\n\nCommands:\n\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'gorootimg help <command>' for details on a command.\n")
}

func printCommandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.usage, c.summary)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

// version is set at link time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

func buildVersion() (mod, goVersion string) {
	mod = version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if mod == "" {
			mod = "(devel)"
		}
		return mod, "unknown"
	}
	if mod == "" {
		mod = info.Main.Version
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && (mod == "" || mod == "(devel)") {
				mod = "(devel) " + s.Value
			}
		}
	}
	if mod == "" {
		mod = "(devel)"
	}
	return mod, info.GoVersion
}
