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
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	spec, diags := Load(files)
	if spec == nil {
		return nil, diags
	}
	objs, found := render.Render(spec)
	diags = append(diags, found...)
	diags = append(diags, o.unknownTenants(spec)...)
	diags.Sort()
	if diags.Err() != nil {
		return nil, diags
	}
	return o.shard(spec, objs), diags
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

// shard keeps the objects of the sources the options name.
func (o options) shard(spec *schema.Spec, objs []render.Object) []render.Object {
	if o.tenants == nil && !o.withoutMesh {
		return objs
	}
	keep := map[string]bool{}
	if !o.withoutMesh {
		keep[schema.KindMesh+"/"+spec.Mesh.Metadata.Name] = true
	}
	for _, t := range spec.Tenants {
		if o.tenants == nil || slices.Contains(o.tenants, t.Metadata.Name) {
			keep[schema.KindTenant+"/"+t.Metadata.Name] = true
		}
	}
	return slices.DeleteFunc(objs, func(obj render.Object) bool { return !keep[obj.GetAnnotations()[render.AnnotationSource]] })
}

// Load validates the input files together and returns the typed,
// defaulted spec, for tools that read the inputs rather than render them
// (the traffic graph). The spec is nil when any diagnostic is an error.
func Load(files []schema.File) (*schema.Spec, schema.Diagnostics) { return load.Spec(files) }

// ReadFiles reads input files and directories for Render: recursively,
// *.yaml and *.yml in lexical order, leaving out hidden directories and
// rendered trees (those holding a .meshwright-files manifest).
func ReadFiles(paths ...string) ([]schema.File, error) { return load.ReadFiles(paths...) }
