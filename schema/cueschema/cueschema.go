// Package cueschema is the input schema in CUE, the single source of truth
// for fields, constraints and defaults: the .cue files, embedded and compiled
// from memory; validation of one document, which also fills in the
// defaults; and, fenced off in messages.go, the rewriting of CUE's errors
// into messages a user reads.
package cueschema

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"github.com/meshwright/meshwright/schema"
)

//go:embed *.cue
var cueFiles embed.FS

// Validator is the schema compiled once: compiling CUE is the expensive part
// of a small run. It serves one document at a time.
type Validator struct {
	ctx   *cue.Context
	kinds map[string]cue.Value
	mu    sync.Mutex // a cue.Context is not safe for concurrent use
}

var (
	schemaOnce sync.Once
	schemaVal  *Validator
	schemaErr  error
)

func compiledSchema() (*Validator, error) {
	schemaOnce.Do(func() { schemaVal, schemaErr = compileSchema() })
	return schemaVal, schemaErr
}

// extraSchemas are further compiled schemas for validating on several
// cores; they are compiled when a large input first needs them.
var (
	extraMu      sync.Mutex
	extraSchemas []*Validator
)

// Validators returns n validators for validating on n goroutines, each with
// its own compiled schema (a CUE context serves one goroutine at a time).
func Validators(n int) ([]*Validator, error) {
	first, err := compiledSchema()
	if err != nil {
		return nil, err
	}
	extraMu.Lock()
	defer extraMu.Unlock()
	for len(extraSchemas) < n-1 {
		c, err := compileSchema()
		if err != nil {
			return nil, err
		}
		extraSchemas = append(extraSchemas, c)
	}
	return append([]*Validator{first}, extraSchemas[:n-1]...), nil
}

func compileSchema() (*Validator, error) {
	f, err := embeddedSchema()
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	v := ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("building embedded schema: %w", err)
	}
	c := &Validator{ctx: ctx, kinds: map[string]cue.Value{}}
	for _, kind := range []string{schema.KindMesh, schema.KindTenant} {
		def := v.LookupPath(cue.ParsePath("#" + kind))
		if err := def.Err(); err != nil {
			return nil, fmt.Errorf("schema has no #%s: %w", kind, err)
		}
		c.kinds[kind] = def
	}
	return c, nil
}

// embeddedSchema merges the embedded .cue files of package schema into one
// syntax tree: the imports of all files first, then their declarations. It
// compiles from memory only; loading through cue/load would consult the real
// filesystem at whatever directory the overlay claims.
func embeddedSchema() (*ast.File, error) {
	entries, err := cueFiles.ReadDir(".")
	if err != nil {
		return nil, err
	}
	merged := &ast.File{Filename: "schema.cue"}
	var imports, decls []ast.Decl
	seen := map[string]bool{}
	for _, e := range entries {
		src, err := cueFiles.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(e.Name(), src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parsing embedded schema: %w", err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.Package:
				if len(merged.Decls) == 0 {
					merged.Decls = append(merged.Decls, d)
				}
			case *ast.ImportDecl:
				for _, spec := range d.Specs {
					if !seen[spec.Path.Value] {
						seen[spec.Path.Value] = true
						imports = append(imports, &ast.ImportDecl{Specs: []*ast.ImportSpec{spec}})
					}
				}
			default:
				decls = append(decls, d)
			}
		}
	}
	merged.Decls = append(append(merged.Decls, imports...), decls...)
	return merged, nil
}

// Document is one input document to validate: its kind (Mesh or Tenant),
// its plain Go value (maps, lists, scalars) and where it came from.
type Document struct {
	Kind     string
	Resource string // "Kind/name", for diagnostics
	Value    any
	Origin   schema.Origin
}

// Validate unifies a document with its kind's definition and decodes the
// defaulted result into out. Problems come back as located diagnostics. A
// Tenant the fast path (fastpath.go) vouches for skips CUE: it decodes to
// the same value.
func (c *Validator) Validate(doc Document, out any) []schema.Diagnostic {
	if doc.Kind == schema.KindTenant {
		if defaulted, ok := acceptTenant(doc.Value); ok {
			if decodePlain(defaulted, out) == nil {
				return nil
			}
			if err := decodeJSON(defaulted, out); err != nil {
				return []schema.Diagnostic{doc.locate(schema.CodeSchema, nil, err.Error())}
			}
			return nil
		}
	}
	return c.validateWithCUE(doc, out)
}

// validateWithCUE is Validate without the fast path.
func (c *Validator) validateWithCUE(doc Document, out any) []schema.Diagnostic {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.kinds[doc.Kind].Unify(c.ctx.Encode(doc.Value))
	if err := v.Validate(cue.Concrete(true), cue.All()); err != nil {
		diags := diagnostics(doc, err)
		reported := map[string]bool{}
		for _, d := range diags {
			reported[d.Path.String()] = true
		}
		for _, p := range missingFields(v, 4) {
			if !reported[p.String()] {
				diags = append(diags, doc.locate(schema.CodeRequiredField, p, requiredButNotPresent))
			}
		}
		for _, p := range unknownFields(c.kinds[doc.Kind], doc.Value, nil) {
			if !reported[p.String()] {
				diags = append(diags, doc.locate(schema.CodeUnknownField, p, fieldNotAllowed))
			}
		}
		return diags
	}
	if err := decode(v, out); err != nil {
		return []schema.Diagnostic{doc.locate(schema.CodeSchema, nil, err.Error())}
	}
	return nil
}

func (d Document) locate(code schema.Code, p schema.Path, msg string) schema.Diagnostic {
	diag := d.Origin.Locate(schema.SeverityError, code, p, msg)
	diag.Resource = d.Resource
	return diag
}

// missingFields lists the required fields absent from v, depth levels deep.
// CUE leaves out "required but not present" once a document has another
// error; listing them too means one run shows every problem.
func missingFields(v cue.Value, depth int) []schema.Path {
	if depth == 0 {
		return nil
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var missing []schema.Path
	for it.Next() {
		switch it.Selector().ConstraintType() {
		case cue.OptionalConstraint:
			// absent and allowed to be
		case cue.RequiredConstraint:
			missing = append(missing, valuePath(it.Value()))
		default:
			missing = append(missing, missingFields(it.Value(), depth-1)...)
		}
	}
	return missing
}

// unknownFields lists the fields of value that the definition def does not
// allow. CUE stops reporting a closed struct's unknown fields once another
// field of that struct has an error; listing them too means one run shows
// every problem. Only plain structs and lists are followed: where def is a
// disjunction (int or string, a default struct or a map) nothing is listed.
func unknownFields(def cue.Value, value any, path schema.Path) []schema.Path {
	if len(path) > maxUnknownFieldDepth {
		return nil
	}
	if op, _ := def.Expr(); op == cue.OrOp {
		return nil
	}
	var unknown []schema.Path
	switch v := value.(type) {
	case map[string]any:
		if def.IncompleteKind() != cue.StructKind {
			return nil
		}
		for _, key := range slices.Sorted(maps.Keys(v)) {
			sel := cue.Str(key)
			if !def.Allows(sel) {
				unknown = append(unknown, path.Child(key))
				continue
			}
			field := def.LookupPath(cue.MakePath(sel))
			if !field.Exists() {
				field = def.LookupPath(cue.MakePath(sel.Optional()))
			}
			unknown = append(unknown, unknownFields(field, v[key], path.Child(key))...)
		}
	case []any:
		if def.IncompleteKind() != cue.ListKind {
			return nil
		}
		elem := def.LookupPath(cue.MakePath(cue.AnyIndex))
		for i, item := range v {
			unknown = append(unknown, unknownFields(elem, item, path.Child(i))...)
		}
	}
	return unknown
}

// maxUnknownFieldDepth bounds the walk; the schema is not deeper.
const maxUnknownFieldDepth = 8

// valuePath is v's path inside its document (without the #Kind definition).
func valuePath(v cue.Value) schema.Path {
	var p schema.Path
	for _, sel := range v.Path().Selectors() {
		switch {
		case sel.IsDefinition():
		case sel.Type() == cue.IndexLabel:
			p = append(p, fmt.Sprint(sel.Index()))
		case sel.Type()&cue.StringLabel != 0:
			p = append(p, sel.Unquoted())
		default:
			p = append(p, sel.String())
		}
	}
	return p
}

// decode fills out from a validated value through its JSON form, which CUE
// produces faster than it decodes into Go structs.
func decode(v cue.Value, out any) error {
	b, err := v.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// decodeJSON fills out from a defaulted plain value the way decode does
// from a CUE value.
func decodeJSON(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// Definitions calls fn with each input kind's evaluated CUE definition, in
// the order Mesh, Tenant, for tools that read the schema (the JSON Schema
// export). fn must not keep the values: they belong to a shared context.
func Definitions(fn func(kind string, def cue.Value) error) error {
	c, err := compiledSchema()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, kind := range []string{schema.KindMesh, schema.KindTenant} {
		if err := fn(kind, c.kinds[kind]); err != nil {
			return err
		}
	}
	return nil
}
