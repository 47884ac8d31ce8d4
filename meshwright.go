// Package meshwright turns a Mesh and its Tenants into the complete resource
// set of an Istio reference architecture. Render is the one pipeline the
// command line, the KRM function (package fn), the tests and the benchmarks
// share:
//
//	files -> schema/load (YAML, CUE schema, defaults, rules) -> render -> objects
//
// The objects are upstream Go types; package encode writes them as YAML.
package meshwright

import (
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// Render validates the input files together and renders them. The
// diagnostics hold every problem found, warnings included, sorted by file
// and position; with any error among them the objects are nil.
func Render(files []schema.File) ([]render.Object, schema.Diagnostics) {
	spec, diags := Load(files)
	if spec == nil {
		return nil, diags
	}
	objs, found := render.Render(spec)
	diags = append(diags, found...)
	diags.Sort()
	if diags.Err() != nil {
		return nil, diags
	}
	return objs, diags
}

// Load validates the input files together and returns the typed,
// defaulted spec, for tools that read the inputs rather than render them
// (the traffic graph). The spec is nil when any diagnostic is an error.
func Load(files []schema.File) (*schema.Spec, schema.Diagnostics) { return load.Spec(files) }

// ReadFiles reads input files and directories for Render: recursively,
// *.yaml and *.yml in lexical order, leaving out hidden directories and
// rendered trees (those holding a .meshwright-files manifest).
func ReadFiles(paths ...string) ([]schema.File, error) { return load.ReadFiles(paths...) }
