// Command meshwright renders a Mesh and its Tenants into the resources of the
// Istio reference architecture.
//
//	meshwright render PATH...          YAML stream on stdout
//	meshwright render -o DIR PATH...   one file per object under DIR
//	meshwright validate PATH...        every problem, or nothing
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
