// Package jsonschema exports the input schema as JSON Schema (draft 2020-12)
// and OpenAPI 3.1, generated from the CUE definitions at run time, so it
// cannot drift from what validation accepts.
package jsonschema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/cueschema"
)

// JSON Schema generation from the CUE definitions.
//
// CUE's own generators do not work on this schema: encoding/openapi fails
// ("unsupported op & for string type" on #Host = #Subdomain & =~"\\."), and
// the experimental encoding/jsonschema.Generate overflows the stack on a
// closed-struct default (*close({...}) | #Labels) and on defaults that refer
// to sibling fields (*revisions[0].name), and cannot resolve
// *namespaces[0].name. A stack overflow is fatal, not an error, so a future
// schema change could crash the binary. The walker below reads the
// evaluated definitions instead and never fails on a construct it does not
// know: it leaves such a constraint out, so the JSON Schema is looser than
// CUE there (see withoutComputedDefault for the one place it assumes
// something). CUE stays the validator of record.

// jsonSchemaDialect is the JSON Schema version of the output. Only keywords
// that draft-07 shares are used, so older editors read it too.
const jsonSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// maxSchemaDepth bounds the walk: the schema has no recursive definitions, so a
// deeper value means a reference loop, which is cut off as "anything".
const maxSchemaDepth = 32

// object is one JSON Schema object under construction.
type object = map[string]any

// JSONSchema returns a JSON Schema that accepts one Mesh or one Tenant
// document, generated from the CUE definitions #Mesh and #Tenant.
func JSONSchema() ([]byte, error) {
	defs, err := definitionSchemas()
	if err != nil {
		return nil, err
	}
	root := object{
		"$schema":     jsonSchemaDialect,
		"title":       "meshwright input (" + schema.APIVersion + ")",
		"description": "One Mesh or one Tenant document; the kind field selects the schema.",
		"oneOf":       []any{object{"$ref": "#/$defs/" + schema.KindMesh}, object{"$ref": "#/$defs/" + schema.KindTenant}},
		"$defs":       defs,
	}
	return marshal(root)
}

// OpenAPI returns an OpenAPI 3.1 document whose components.schemas are the
// Mesh and Tenant schemas (3.1 schema objects are JSON Schema 2020-12).
func OpenAPI() ([]byte, error) {
	defs, err := definitionSchemas()
	if err != nil {
		return nil, err
	}
	doc := object{
		"openapi": "3.1.0",
		"info": object{
			"title":   "meshwright input",
			"version": schema.APIVersion,
		},
		"paths":      object{},
		"components": object{"schemas": defs},
	}
	return marshal(doc)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return append(b, '\n'), nil
}

// definitionSchemas generates the schema of each input kind.
func definitionSchemas() (defs object, err error) {
	defer func() {
		// the CUE API panics on some values it was not meant to see; a
		// schema change must not crash `meshwright schema`
		if r := recover(); r != nil {
			defs, err = nil, fmt.Errorf("generating the JSON Schema from the CUE definitions: %v", r)
		}
	}()
	defs = object{}
	err = cueschema.Definitions(func(kind string, def cue.Value) error {
		s := valueSchema(def, 0)
		if doc := docString(def); doc != "" {
			s["description"] = doc
		}
		s["title"] = kind
		defs[kind] = s
		return nil
	})
	return defs, err
}

// schemaOf is the schema of a field's value with its description and
// default.
func schemaOf(v cue.Value, depth int) object {
	s := valueSchema(v, depth)
	if doc := docString(v); doc != "" {
		s["description"] = doc
	}
	if d, ok := staticDefault(v); ok {
		s["default"] = d
	}
	return s
}

// valueSchema dispatches on the shape of v: a disjunction, a struct, a list
// or a scalar with constraints.
func valueSchema(v cue.Value, depth int) object {
	if depth > maxSchemaDepth || v.Err() != nil {
		return object{}
	}
	op, args := v.Expr()
	if op == cue.OrOp {
		return disjunctionSchema(v, args, depth)
	}
	if op == cue.NoOp && len(args) == 1 {
		// CUE drops a default disjunct from the expression when another
		// disjunct accepts it (*"1.30" | =~"..." reads as =~"..."): the
		// rest is what a user may write. Struct and list values are
		// evaluated instead, so only scalars descend here.
		if k := v.IncompleteKind(); k&(cue.StructKind|cue.ListKind) == 0 && !sameValue(args[0], v) {
			return valueSchema(args[0], depth+1)
		}
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		return structSchema(nonDefault(v, args), depth)
	case cue.ListKind:
		return listSchema(nonDefault(v, args), depth)
	}
	return scalarSchema(v, depth)
}

// nonDefault is the value a user may write in place of v's default: lookups
// on a value with a default see the default ([] for an empty egress list),
// while its expression keeps the alternative ([...#EgressGateway]).
func nonDefault(v cue.Value, args []cue.Value) cue.Value {
	if _, ok := v.Default(); ok && len(args) == 1 && args[0].Exists() && args[0].Err() == nil {
		return args[0]
	}
	return v
}

// sameValue tells whether an expression's only operand is the value itself,
// as it is for a plain value: descending into it would not terminate.
func sameValue(a, v cue.Value) bool {
	ao, aargs := a.Expr()
	vo, _ := v.Expr()
	return ao == vo && len(aargs) == 1 && fmt.Sprint(a) == fmt.Sprint(v)
}

// disjunctionSchema turns a | b | c into an enum when every alternative is a
// constant, else into anyOf. An alternative that another one already
// accepts (*"istio-system" | #Name) adds nothing and is left out.
func disjunctionSchema(v cue.Value, args []cue.Value, depth int) object {
	args = withoutSubsumed(withoutComputedDefault(v, args))
	var consts []any
	var others []any
	for _, a := range args {
		if c, ok := constant(a); ok {
			consts = append(consts, c)
			continue
		}
		if s := schemaOf(a, depth+1); !containsSchema(others, s) {
			others = append(others, s)
		}
	}
	switch {
	case len(others) == 0:
		return enumSchema(consts)
	case len(consts) > 0:
		others = append([]any{enumSchema(consts)}, others...)
	}
	if len(others) == 1 {
		return others[0].(object)
	}
	return object{"anyOf": others}
}

func enumSchema(consts []any) object {
	if len(consts) == 1 {
		return object{"const": consts[0]}
	}
	return object{"enum": consts}
}

// withoutComputedDefault drops the alternatives computed from other fields:
// the defaults *revisions[0].name, *defaultRevision, *_namespace,
// *close({istio: strings.TrimPrefix(name, "istio-")}). Here they are
// incomplete and would read as "anything". In this schema each of them is
// also accepted by another alternative, so nothing valid is lost; a default
// that is not would make the JSON Schema refuse it, which the test over every
// example spec would show. A computed concrete scalar (*_serviceType, here
// "ClusterIP") is a plain value and stays.
func withoutComputedDefault(v cue.Value, args []cue.Value) []cue.Value {
	var out []cue.Value
	for _, a := range args {
		if _, isConst := constant(a); isConst || (a.Err() == nil && !sourceRefersToField(a) && !isComputedDefault(v, a)) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return args
	}
	return out
}

// isComputedDefault tells whether a is v's default struct or list and that
// default is computed (*[#IngressGateway & {namespace: _namespace}]): such an
// evaluated alternative has lost the source that would tell.
func isComputedDefault(v, a cue.Value) bool {
	d, ok := v.Default()
	if !ok || a.IncompleteKind()&(cue.StructKind|cue.ListKind) == 0 || fmt.Sprint(a) != fmt.Sprint(d) {
		return false
	}
	return !defaultIsLiteral(v)
}

// sourceRefersToField tells whether the expression v was written as
// computes it from another field. A list or struct literal is not: fields
// inside it may have computed defaults of their own, handled there.
func sourceRefersToField(v cue.Value) bool {
	switch expr := v.Source().(type) {
	case *ast.ListLit, *ast.StructLit:
		return false
	case ast.Expr:
		return refersToField(expr)
	}
	return false
}

func containsSchema(list []any, s object) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, s) {
			return true
		}
	}
	return false
}

// withoutSubsumed drops each concrete alternative that another alternative
// accepts: the value stays valid, and a default is named by "default".
func withoutSubsumed(args []cue.Value) []cue.Value {
	var out []cue.Value
	for i, a := range args {
		subsumed := false
		if isValue(a) {
			for j, b := range args {
				if i != j && !isValue(b) && accepts(b, a) {
					subsumed = true
					break
				}
			}
		}
		if !subsumed {
			out = append(out, a)
		}
	}
	return out
}

// isValue tells whether v is one value, not a constraint: concrete all the
// way down, and not an open list.
func isValue(v cue.Value) bool {
	if v.Validate(cue.Concrete(true)) != nil {
		return false
	}
	return v.IncompleteKind() != cue.ListKind || !v.LookupPath(cue.MakePath(cue.AnyIndex)).Exists()
}

// accepts tells whether the concrete value a is an instance of b. Subsume
// misses closed literals ([{prefix: "/"}] against [#Route, ...#Route]);
// unifying does not.
func accepts(b, a cue.Value) bool {
	return b.Subsume(a, cue.Final()) == nil || b.Unify(a).Validate(cue.Concrete(true)) == nil
}

// constant is v as a JSON value when v is a concrete scalar.
func constant(v cue.Value) (any, bool) {
	if !v.IsConcrete() || v.Kind()&(cue.StructKind|cue.ListKind) != 0 {
		return nil, false
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return nil, false
	}
	return x, true
}

// structSchema lists a struct's fields as properties; see mustBeGiven for the
// required ones. A closed struct gets additionalProperties false.
func structSchema(v cue.Value, depth int) object {
	s := object{"type": "object"}
	it, err := v.Fields(cue.Optional(true), cue.Patterns(true))
	if err != nil {
		return s
	}
	props := object{}
	var required []string
	var keys, values []object
	for it.Next() {
		sel := it.Selector()
		switch sel.ConstraintType() {
		case cue.PatternConstraint:
			keys = append(keys, valueSchema(sel.Pattern(), depth+1))
			values = append(values, schemaOf(it.Value(), depth+1))
			continue
		case cue.RequiredConstraint:
			required = append(required, sel.Unquoted())
		case cue.OptionalConstraint:
		default:
			if mustBeGiven(it.Value()) {
				required = append(required, sel.Unquoted())
			}
		}
		props[sel.Unquoted()] = schemaOf(it.Value(), depth+1)
	}
	if len(props) > 0 {
		s["properties"] = props
	}
	if len(required) > 0 {
		s["required"] = required
	}
	addPatterns(s, keys, values, v.IsClosed())
	return s
}

// mustBeGiven tells whether a regular field must be in a document: when a
// required field sits inside it (metadata needs a name), or when it has one
// fixed value (apiVersion, kind): CUE would fill that in, but a document
// without it is not a meshwright document. Other regular fields have
// defaults, possibly computed from other fields (gateways), and may be left
// out.
func mustBeGiven(v cue.Value) bool {
	if _, isConst := constant(v); isConst {
		_, hasDefault := v.Default()
		return !hasDefault
	}
	return hasRequiredField(v, 0)
}

// hasRequiredField tells whether v or a struct in its regular fields has a
// required field (name!).
func hasRequiredField(v cue.Value, depth int) bool {
	if depth > maxSchemaDepth || v.IncompleteKind() != cue.StructKind {
		return false
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return false
	}
	for it.Next() {
		switch it.Selector().ConstraintType() {
		case cue.RequiredConstraint:
			return true
		case cue.OptionalConstraint:
		default:
			if hasRequiredField(it.Value(), depth+1) {
				return true
			}
		}
	}
	return false
}

// addPatterns expresses [key]: value constraints. One pattern on a struct
// without fixed fields ({[#Name]: #Name}) is exact: propertyNames and
// additionalProperties. Anything else is described loosely.
func addPatterns(s object, keys, values []object, closed bool) {
	_, hasProps := s["properties"]
	switch {
	case len(keys) == 1 && !hasProps:
		if len(keys[0]) > 0 && !reflect.DeepEqual(keys[0], object{"type": "string"}) {
			s["propertyNames"] = keys[0]
		}
		s["additionalProperties"] = values[0]
	case len(keys) > 0:
		// several patterns, or patterns beside fields: JSON Schema's
		// patternProperties needs regular expressions CUE may not have
	case closed:
		s["additionalProperties"] = false
	}
}

// listSchema describes a list: its element schema, and as minItems the
// number of elements [#Revision, ...#Revision] requires.
func listSchema(v cue.Value, depth int) object {
	s := object{"type": "array"}
	var prefix []object
	for i := 0; ; i++ {
		e := v.LookupPath(cue.MakePath(cue.Index(i)))
		if !e.Exists() {
			break
		}
		prefix = append(prefix, schemaOf(e, depth+1))
	}
	rest := v.LookupPath(cue.MakePath(cue.AnyIndex))
	if !rest.Exists() {
		// a closed list: exactly these elements
		s["prefixItems"] = anySlice(prefix)
		s["minItems"], s["maxItems"] = len(prefix), len(prefix)
		s["items"] = false
		return s
	}
	items := schemaOf(rest, depth+1)
	s["items"] = items
	if len(prefix) == 0 {
		return s
	}
	s["minItems"] = len(prefix)
	for _, p := range prefix {
		if !reflect.DeepEqual(p, items) {
			s["prefixItems"] = anySlice(prefix)
			break
		}
	}
	return s
}

func anySlice(objs []object) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

// scalarSchema is the type of a scalar and every constraint of its
// conjunction that JSON Schema can say.
func scalarSchema(v cue.Value, depth int) object {
	if c, ok := constant(v); ok {
		return object{"const": c}
	}
	s := object{}
	if t := jsonType(v.IncompleteKind()); t != nil {
		s["type"] = t
	}
	addConstraints(s, v, depth)
	return s
}

// addConstraints walks v's conjunction (#Name is MaxRunes(63) & =~"...")
// and sets the keyword each conjunct maps to. A keyword set twice (#Host is
// #Subdomain & =~"\\.", two patterns) goes into allOf instead.
func addConstraints(s object, v cue.Value, depth int) {
	if depth > maxSchemaDepth {
		return
	}
	op, args := v.Expr()
	switch op {
	case cue.AndOp:
		for _, a := range args {
			addConstraints(s, a, depth+1)
		}
	case cue.OrOp:
		for k, x := range disjunctionSchema(v, args, depth+1) {
			set(s, k, x)
		}
	case cue.SelectorOp, cue.NoOp:
		// a reference (#Name), or the conjunct left after CUE dropped a
		// default
		if len(args) == 1 && !sameValue(args[0], v) {
			addConstraints(s, args[0], depth+1)
		} else if d := cue.Dereference(v); !sameValue(d, v) {
			addConstraints(s, d, depth+1)
		}
	case cue.RegexMatchOp:
		if re, err := args[0].String(); err == nil {
			set(s, "pattern", re)
		}
	case cue.NotRegexMatchOp:
		if re, err := args[0].String(); err == nil {
			set(s, "not", object{"pattern": re})
		}
	case cue.GreaterThanEqualOp, cue.GreaterThanOp, cue.LessThanEqualOp, cue.LessThanOp:
		addBound(s, op, args)
	case cue.CallOp:
		addCall(s, args)
	}
}

var boundKeywords = map[cue.Op]string{
	cue.GreaterThanEqualOp: "minimum",
	cue.GreaterThanOp:      "exclusiveMinimum",
	cue.LessThanEqualOp:    "maximum",
	cue.LessThanOp:         "exclusiveMaximum",
}

// addBound sets a numeric bound. A bound that refers to another field
// (max: >=min) is left out: its value here is min's default, and the user
// may choose another min.
func addBound(s object, op cue.Op, args []cue.Value) {
	if len(args) != 1 {
		return
	}
	if _, path := args[0].ReferencePath(); len(path.Selectors()) > 0 {
		return
	}
	if n, ok := constant(args[0]); ok {
		if _, isNumber := n.(string); !isNumber {
			set(s, boundKeywords[op], n)
		}
	}
}

// addCall maps the builtins the schema uses onto length keywords; any other
// builtin is left out (looser, never wrong).
func addCall(s object, args []cue.Value) {
	if len(args) != 2 {
		return
	}
	n, err := args[1].Int64()
	if err != nil {
		return
	}
	switch fmt.Sprint(args[0]) {
	case "strings.MinRunes":
		set(s, "minLength", n)
	case "strings.MaxRunes":
		set(s, "maxLength", n)
	}
}

// set adds a keyword, or an allOf member when the keyword is taken by a
// different value.
func set(s object, key string, value any) {
	if value == nil {
		return
	}
	old, taken := s[key]
	switch {
	case !taken:
		s[key] = value
	case reflect.DeepEqual(old, value):
	default:
		all, _ := s["allOf"].([]any)
		s["allOf"] = append(all, object{key: value})
	}
}

// jsonType names the JSON Schema type of a CUE kind, nil for "anything".
func jsonType(k cue.Kind) any {
	var types []any
	if k&cue.NullKind != 0 {
		types = append(types, "null")
	}
	if k&cue.BoolKind != 0 {
		types = append(types, "boolean")
	}
	switch {
	case k&cue.FloatKind != 0:
		types = append(types, "number")
	case k&cue.IntKind != 0:
		types = append(types, "integer")
	}
	if k&cue.StringKind != 0 {
		types = append(types, "string")
	}
	if k&cue.StructKind != 0 {
		types = append(types, "object")
	}
	if k&cue.ListKind != 0 {
		types = append(types, "array")
	}
	switch len(types) {
	case 0:
		return nil
	case 1:
		return types[0]
	}
	if k == cue.TopKind {
		return nil
	}
	return types
}

// staticDefault is v's default as JSON when it is the same in every
// document. A default computed from other fields (*revisions[0].name,
// *_namespace) is not: it is left to the field's description.
func staticDefault(v cue.Value) (any, bool) {
	d, ok := v.Default()
	if !ok || d.Validate(cue.Concrete(true)) != nil || !defaultIsLiteral(v) {
		return nil, false
	}
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, false
	}
	return x, true
}

// defaultIsLiteral tells whether every default marked in v's source
// (*expr) refers to no field. Values without one source (unified from
// several places) count as computed.
func defaultIsLiteral(v cue.Value) bool {
	var expr ast.Expr
	switch src := v.Source().(type) {
	case *ast.Field:
		expr = src.Value
	case ast.Expr:
		expr = src
	default:
		return false
	}
	literal, found := true, false
	ast.Walk(expr, func(n ast.Node) bool {
		if u, ok := n.(*ast.UnaryExpr); ok && u.Op.String() == "*" {
			found = true
			literal = literal && !refersToField(u.X)
			return false
		}
		return true
	}, nil)
	return found && literal
}

// refersToField tells whether expr names a field or hidden value, rather
// than only literals, definitions, builtins and imported packages.
func refersToField(expr ast.Expr) bool {
	refers := false
	ast.Walk(expr, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			// a label names the field being declared, not another one
			refers = refers || refersToField(x.Value)
			return false
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if _, isImport := id.Node.(*ast.ImportSpec); isImport {
					return false
				}
			}
		case *ast.Comprehension, *ast.IndexExpr:
			refers = true
		case *ast.Ident:
			if !strings.HasPrefix(x.Name, "#") && !builtinNames[x.Name] {
				refers = true
			}
		}
		return !refers
	}, nil)
	return refers
}

var builtinNames = map[string]bool{
	"close": true, "and": true, "or": true, "len": true,
	"string": true, "int": true, "number": true, "float": true, "bool": true, "bytes": true,
	"true": true, "false": true, "null": true, "_": true,
}

// docString is the comment above a field or definition, its lines joined
// into paragraphs: editors render descriptions as Markdown, where the
// comment's wrapping would show as hard breaks.
func docString(v cue.Value) string {
	var parts []string
	for _, d := range v.Doc() {
		for _, para := range strings.Split(strings.TrimSpace(d.Text()), "\n\n") {
			if t := strings.Join(strings.Fields(para), " "); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}
