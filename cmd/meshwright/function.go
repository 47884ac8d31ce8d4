package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/meshwright/meshwright/fn"
)

// functionMode runs meshwright as a KRM function: a ResourceList (or a
// plain YAML stream) on stdin, the same list with the rendered objects on
// stdout. kpt and kustomize start it without arguments.
func functionMode(stdin io.Reader, stdout, stderr io.Writer, usage func() string) int {
	if isTerminal(stdin) {
		// a person typed `meshwright`: waiting for a ResourceList would look like a hang
		fmt.Fprint(stderr, usage())
		return exitUsage
	}
	results, err := fn.Execute(stdin, stdout)
	// kpt shows the results from stdout; kustomize shows only stderr
	for _, r := range results {
		fmt.Fprintln(stderr, r.Message)
	}
	var failed framework.Results
	switch {
	case err == nil:
		return exitOK
	case !errors.As(err, &failed):
		fmt.Fprintf(stderr, "meshwright: %v\n", err)
	}
	return exitFindings
}

// isTerminal tells whether stdin is a terminal (a user typed `meshwright`);
// /dev/null is a character device too, but not a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
