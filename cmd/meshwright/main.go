// Command meshwright renders a Mesh and its Tenants into the resources of the
// Istio reference architecture.
//
//	meshwright init [DIR]              a commented starting spec
//	meshwright validate PATH...        every problem, or nothing
//	meshwright render PATH...          YAML stream on stdout
//	meshwright render -o DIR PATH...   one file per object under DIR
//	meshwright schema                  JSON Schema of the inputs
//	meshwright version                 version, commit, Go version
//	meshwright                         KRM function: ResourceList on stdin
//
// The commands are in cli.go (the tree, exit statuses), inputs.go (render,
// validate), init.go, schema.go, version.go and function.go; the
// diagnostics formats in package report.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC trades memory for time: a render is a short batch that builds
// everything, writes it and exits, so collecting garbage often is wasted
// work. The heap may grow to five times what is live, but not past a limit
// well under the 1 GiB a platform-scale render is allowed. GOGC and
// GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}
