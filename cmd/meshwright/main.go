// Command meshwright renders a Mesh and its Tenants into the resources of the
// Istio reference architecture.
//
//	meshwright init [DIR]              a commented starting spec
//	meshwright validate PATH...        every problem, or nothing
//	meshwright render PATH...          YAML stream on stdout
//	meshwright render -o DIR PATH...   one file per object under DIR
//	meshwright diff OLD NEW            what a change means, object by object
//	meshwright graph PATH...           the traffic picture (Mermaid, DOT)
//	meshwright schema                  JSON Schema of the inputs
//	meshwright version                 version, commit, Go version
//	meshwright                         KRM function: ResourceList on stdin
//
// The commands are in cli.go (the tree, exit statuses), inputs.go (render,
// validate), diff.go, graph.go, init.go, schema.go, version.go and
// function.go; the garbage collector's tuning in gc.go; the diagnostics
// formats in package report.
package main

import "os"

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
