// Command specgen writes a generated spec to a directory, for timing the
// meshwright binary end to end at platform scale:
//
//	go run ./cmd/specgen -tenants 1000 -services 10 -o /tmp/scale
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/meshwright/meshwright/internal/specgen"
)

func main() {
	var o specgen.Options
	flag.IntVar(&o.Tenants, "tenants", 100, "number of tenants")
	flag.IntVar(&o.Services, "services", 10, "services per tenant")
	flag.Int64Var(&o.Seed, "seed", 0, "vary the spec (0: the fixed benchmark platform)")
	dir := flag.String("o", "", "output `directory` (required)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "specgen: -o DIR is required")
		os.Exit(2)
	}
	for _, f := range specgen.Files(o) {
		path := filepath.Join(*dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "specgen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "specgen:", err)
			os.Exit(1)
		}
	}
}
