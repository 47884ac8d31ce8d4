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
	"fmt"
	"slices"
	"strings"

	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// Render validates the input files together and renders them. The
// diagnostics hold every problem found, warnings included, sorted by file
// and position; with any error among them the objects are nil. Options
// narrow what is emitted (a shard), never what is validated.
func Render(files []schema.File, opts ...Option) ([]render.Object, schema.Diagnostics) {
	var c render.Collector
	diags := RenderEach(files, c.Add, opts...)
	if diags.Err() != nil {
		return nil, diags
	}
	return c.Objects(), diags
}

// RenderEach is Render for inputs too large to hold all their objects:
// each input's objects go to emit as soon as they are rendered (see
// render.Each; encode.Documents takes them), and only the diagnostics are
// returned. With an error among them, what emit received is not a render.
func RenderEach(files []schema.File, emit func(source int, objs []render.Object), opts ...Option) schema.Diagnostics {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	spec, diags := Load(files)
	if spec == nil {
		return diags
	}
	keep := o.sources(spec)
	diags = append(diags, render.Each(spec, func(source int, objs []render.Object) {
		if keep[source] {
			emit(source, objs)
		}
	})...)
	diags = append(diags, o.unknownTenants(spec)...)
	diags.Sort()
	return diags
}

// Option narrows what Render emits.
type Option func(*options)

// Tenants emits only the named tenants' objects (and the Mesh's, unless
// WithoutMesh): a shard, byte for byte the same objects a full render
// emits. Every input is still validated together, so names, hosts and
// namespaces stay unique mesh-wide.
// With no names, the shard is the Mesh's objects alone.
func Tenants(names ...string) Option {
	return func(o *options) {
		if o.tenants == nil {
			o.tenants = []string{} // a shard, if of the Mesh alone
		}
		o.tenants = append(o.tenants, names...)
	}
}

// WithoutMesh leaves the Mesh's objects out, for the shards of a platform
// whose control plane is rendered by one shard of its own.
func WithoutMesh() Option { return func(o *options) { o.withoutMesh = true } }

type options struct {
	tenants     []string // nil: every tenant
	withoutMesh bool
}

// unknownTenants refuses a shard naming a tenant the inputs do not have:
// it would silently render nothing.
func (o options) unknownTenants(spec *schema.Spec) schema.Diagnostics {
	known := map[string]bool{}
	var names []string
	for _, t := range spec.Tenants {
		known[t.Metadata.Name] = true
		names = append(names, t.Metadata.Name)
	}
	var diags schema.Diagnostics
	for _, name := range o.tenants {
		if !known[name] {
			diags = append(diags, schema.Diagnostic{Severity: schema.SeverityError, Code: schema.CodeUnknownShardTenant,
				Message: fmt.Sprintf("the shard names tenant %q, which the inputs do not define (tenants: %s)", name, strings.Join(names, ", "))})
		}
	}
	return diags
}

// sources tells which of render.Each's sources (the Mesh, then each
// Tenant) the options emit.
func (o options) sources(spec *schema.Spec) []bool {
	keep := make([]bool, len(spec.Tenants)+1)
	keep[0] = !o.withoutMesh
	for i, t := range spec.Tenants {
		keep[i+1] = o.tenants == nil || slices.Contains(o.tenants, t.Metadata.Name)
	}
	return keep
}

// Load validates the input files together and returns the typed,
// defaulted spec, for tools that read the inputs rather than render them
// (the traffic graph). The spec is nil when any diagnostic is an error.
func Load(files []schema.File) (*schema.Spec, schema.Diagnostics) { return load.Spec(files) }

// ReadFiles reads input files and directories for Render: recursively,
// *.yaml and *.yml in lexical order, leaving out hidden directories and
// rendered trees (those holding a .meshwright-files manifest).
func ReadFiles(paths ...string) ([]schema.File, error) { return load.ReadFiles(paths...) }
