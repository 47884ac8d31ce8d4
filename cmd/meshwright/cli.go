package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses, the same for every command.
const (
	exitOK       = 0 // done; warnings allowed
	exitFindings = 1 // the inputs have errors, or a file could not be read or written
	exitUsage    = 2 // unknown command or flag, missing or extra arguments, a bad flag value
)

// exitError ends a command with a status; its message, if any, is printed
// as "meshwright: message". A usage error also points to the help.
type exitError struct {
	code int
	err  error // nil when the command already reported (the diagnostics)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// errFindings: the diagnostics are printed, the exit status is 1.
var errFindings = &exitError{code: exitFindings}

// app is one invocation: its streams and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	quiet, verbose bool
}

// run is the program: main calls it with the process's arguments (without
// the program name) and streams, the tests with their own. It returns the
// exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if len(args) == 0 {
		// how kpt and kustomize run a KRM function: a ResourceList on stdin
		return functionMode(stdin, stdout, stderr, func() string { return a.newRootCommand().UsageString() })
	}
	root := a.newRootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return a.exitStatus(cmd, err)
}

// exitStatus reports err and maps it to the exit status. The commands
// return exitErrors; any other error comes from cobra itself, parsing the
// command line, and is a usage error.
func (a *app) exitStatus(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	var exit *exitError
	if !errors.As(err, &exit) {
		exit = &exitError{code: exitUsage, err: err}
	}
	if exit.err != nil {
		fmt.Fprintf(a.stderr, "meshwright: %s\n", strings.TrimSpace(exit.err.Error()))
	}
	if exit.code == exitUsage {
		path := "meshwright"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", path)
	}
	return exit.code
}

// newRootCommand builds the command tree.
func (a *app) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "meshwright",
		Short: "Render the Istio reference architecture from Mesh and Tenant specs",
		Long: `meshwright renders a Mesh and its Tenants into the resources of the Istio
reference architecture: control plane, gateways, security, certificates and
per-tenant isolation.

Run without arguments, with a ResourceList on stdin, meshwright is a KRM
function for kpt and kustomize.`,
		Example: `  meshwright init platform
  meshwright validate platform
  meshwright render -o rendered platform
  meshwright render --format github platform > /dev/null`,
		// the root runs only when given flags and no command
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("no command given")
		},
		SilenceErrors: true, // exitStatus prints them
		SilenceUsage:  true, // usage errors point to --help instead
		// --version prints one line; the version command says more
		Version: currentVersion().Version,
	}
	root.SetVersionTemplate("meshwright {{.Version}}\n")
	root.SetIn(a.stdin)
	root.SetOut(a.stdout) // help and completion scripts
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	flags := root.PersistentFlags()
	flags.BoolVarP(&a.quiet, "quiet", "q", false, "print errors only, no warnings")
	flags.BoolVarP(&a.verbose, "verbose", "v", false, "print more: every skipped document, a summary")
	root.MarkFlagsMutuallyExclusive("quiet", "verbose")

	root.AddGroup(
		&cobra.Group{ID: "spec", Title: "Working with specs:"},
		&cobra.Group{ID: "tool", Title: "Other commands:"},
	)
	for _, cmd := range []*cobra.Command{
		a.newInitCommand(),
		a.newValidateCommand(),
		a.newRenderCommand(),
		a.newDiffCommand(),
		a.newGraphCommand(),
	} {
		cmd.GroupID = "spec"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{
		a.newSchemaCommand(),
		a.newVersionCommand(),
	} {
		cmd.GroupID = "tool"
		root.AddCommand(cmd)
	}
	root.SetHelpCommand(newHelpCommand())
	root.SetHelpCommandGroupID("tool")
	root.SetCompletionCommandGroupID("tool")
	// cobra adds help and completion when it executes; adding them now makes
	// the tree complete for the tests, and completion strict
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" {
			strictParent(cmd)
		}
	}
	return root
}

// runE adapts a command's work to cobra: an error that is not already an
// exitError is a failure (exit status 1), not a usage error.
func runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		var exit *exitError
		if err == nil || errors.As(err, &exit) {
			return err
		}
		return &exitError{code: exitFindings, err: err}
	}
}

// args wraps a cobra argument check so that its error is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return nil
	}
}

// strictParent makes a command that only holds subcommands refuse a
// missing or unknown one (exit status 2) instead of printing its help.
func strictParent(parent *cobra.Command) {
	parent.Args = cobra.ArbitraryArgs
	parent.RunE = func(cmd *cobra.Command, args []string) error {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		if len(args) == 0 {
			return usageErrorf("%s needs one of: %s", cmd.Name(), strings.Join(names, ", "))
		}
		return usageErrorf("unknown command %q for %q (use one of: %s)", args[0], cmd.CommandPath(), strings.Join(names, ", "))
	}
}

// newHelpCommand replaces cobra's, which answers an unknown topic with
// the root's usage and exit status 0.
func newHelpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints the help of any command: meshwright help render.",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, _, err := cmd.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, c := range parent.Commands() {
				if c.IsAvailableCommand() && strings.HasPrefix(c.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageErrorf("unknown help topic %q", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}
