// Command meshwright renders a Mesh and its Tenants into the resources of the
// Istio reference architecture.
//
//	meshwright render PATH...          YAML stream on stdout
//	meshwright render -o DIR PATH...   one file per object under DIR
//	meshwright validate PATH...        every problem, or nothing
//	meshwright schema                  JSON Schema of the inputs
//	meshwright                         KRM function: ResourceList on stdin
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
