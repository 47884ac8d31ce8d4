package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
)

const usage = `usage:
  meshwright render [-o DIR] PATH...   render Mesh and Tenant files (or directories)
  meshwright validate PATH...          check the inputs, print every problem
  meshwright schema [--format openapi] JSON Schema of the inputs, for editors
  meshwright < RESOURCE_LIST           KRM function for kpt and kustomize

render writes a YAML stream to stdout, or with -o one file per object under
DIR, removing the files an earlier render wrote there that are no longer
rendered. On any input error nothing is written and the exit status is 1.
`

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the input has errors
	exitUsage = 2
)

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return functionMode(stdin, stdout, stderr) // how kpt and kustomize run a KRM function
	}
	switch args[0] {
	case "render":
		return renderCommand(args[1:], stdout, stderr)
	case "validate":
		return validateCommand(args[1:], stderr)
	case "schema":
		return schemaCommand(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "meshwright: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// flagSet holds a command's flags; it reports their misuse on stderr.
func flagSet(command string, stderr io.Writer) *flag.FlagSet {
	flags := flag.NewFlagSet(command, flag.ContinueOnError)
	flags.SetOutput(stderr)
	return flags
}

func renderCommand(args []string, stdout, stderr io.Writer) int {
	flags := flagSet("render", stderr)
	dir := flags.String("o", "", "write one file per object under `DIR` instead of a stream to stdout")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	objs, code := load(flags.Args(), stderr)
	if code != exitOK {
		return code
	}
	if *dir != "" {
		if err := encode.WriteTree(*dir, objs); err != nil {
			fmt.Fprintf(stderr, "meshwright: %v\n", err)
			return exitError
		}
		return exitOK
	}
	out, err := encode.Stream(objs)
	return printOutput(stdout, stderr, out, err)
}

// printOutput writes what a command made to stdout; an error making it, or
// writing it, is exit status 1.
func printOutput(stdout, stderr io.Writer, out []byte, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "meshwright: %v\n", err)
		return exitError
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "meshwright: writing output: %v\n", err)
		return exitError
	}
	return exitOK
}

func validateCommand(args []string, stderr io.Writer) int {
	_, code := load(args, stderr)
	return code
}

// load validates and renders the inputs, printing warnings and errors to
// stderr. Rendering is part of validation: it finds colliding objects.
func load(paths []string, stderr io.Writer) ([]render.Object, int) {
	if len(paths) == 0 {
		fmt.Fprint(stderr, "meshwright: no input files given\n", usage)
		return nil, exitUsage
	}
	files, err := meshwright.ReadFiles(paths...)
	if err != nil {
		fmt.Fprintf(stderr, "meshwright: %v\n", err)
		return nil, exitError
	}
	objs, diags := meshwright.Render(files)
	for _, d := range diags {
		fmt.Fprintln(stderr, d)
	}
	if diags.Err() != nil {
		return nil, exitError
	}
	return objs, exitOK
}
