package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
)

//go:embed *.cue
var cueFiles embed.FS

// Definition names of the two input kinds in the CUE schema.
const (
	KindMesh   = "Mesh"
	KindTenant = "Tenant"
)

// compiled is the schema built once per process: compiling CUE is the
// expensive part of a small run.
type compiled struct {
	ctx   *cue.Context
	kinds map[string]cue.Value
	mu    sync.Mutex // a cue.Context is not safe for concurrent use
}

var (
	schemaOnce sync.Once
	schemaVal  *compiled
	schemaErr  error
)

func compiledSchema() (*compiled, error) {
	schemaOnce.Do(func() { schemaVal, schemaErr = compileSchema() })
	return schemaVal, schemaErr
}

// extraSchemas are further compiled schemas for validating on several
// cores; they are compiled when a large input first needs them.
var (
	extraMu      sync.Mutex
	extraSchemas []*compiled
)

// compiledSchemas returns n compiled schemas, the shared one first.
func compiledSchemas(n int) ([]*compiled, error) {
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
	return append([]*compiled{first}, extraSchemas[:n-1]...), nil
}

func compileSchema() (*compiled, error) {
	f, err := embeddedSchema()
	if err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	v := ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("building embedded schema: %w", err)
	}
	c := &compiled{ctx: ctx, kinds: map[string]cue.Value{}}
	for _, kind := range []string{KindMesh, KindTenant} {
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

// validate unifies a document with its kind's definition and decodes the
// defaulted result into out. Problems come back as located diagnostics.
func (c *compiled) validate(doc *document, out any) []Diagnostic {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.kinds[doc.kind].Unify(c.ctx.Encode(doc.value))
	if err := v.Validate(cue.Concrete(true), cue.All()); err != nil {
		diags := c.diagnostics(doc, err)
		reported := map[string]bool{}
		for _, d := range diags {
			reported[d.Path.String()] = true
		}
		for _, p := range missingFields(v, 4) {
			if !reported[p.String()] {
				d := doc.Locate(SeverityError, p, "field is required but not present")
				d.Resource = doc.resource()
				diags = append(diags, d)
			}
		}
		return diags
	}
	if err := decode(v, out); err != nil {
		return c.diagnostics(doc, err)
	}
	return nil
}

// diagnostics turns CUE's errors into one message per field path. CUE
// reports each failed alternative of a disjunction separately, including the
// default it tried first; a user wants to know what the field accepts.
func (c *compiled) diagnostics(doc *document, err error) []Diagnostic {
	type issue struct {
		msgs      []string
		fallback  []string // said only when nothing better is known
		conflicts []string // the accepted values of an enum the input missed
		got       string
	}
	issues := map[string]*issue{}
	var order []string
	for _, e := range cueerrors.Errors(err) {
		p := e.Path()
		if len(p) > 0 && strings.HasPrefix(p[0], "#") {
			p = p[1:]
		}
		key := strings.Join(p, "\x00")
		is := issues[key]
		if is == nil {
			is = &issue{}
			issues[key] = is
			order = append(order, key)
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		switch {
		case strings.Contains(msg, "errors in empty disjunction"), strings.Contains(msg, "(type _|_)"):
			// a summary, or a consequence of an error reported on its own
		case format == "conflicting values %s and %s (mismatched types %s and %s)" && len(args) == 4:
			is.msgs = append(is.msgs, mismatchedTypes(args))
		case format == "conflicting values %s and %s" && len(args) == 2:
			is.conflicts = append(is.conflicts, fmt.Sprint(args[1]))
			is.got = fmt.Sprint(args[0])
		case strings.HasPrefix(msg, "incompatible list lengths (0 and"):
			is.fallback = append(is.fallback, "must list at least one item")
		case strings.HasPrefix(msg, "incompatible list lengths"):
			// the default list was tried and did not fit: not the user's mistake
			is.fallback = append(is.fallback, msg)
		default:
			is.msgs = append(is.msgs, humanize(msg))
		}
	}
	var diags []Diagnostic
	for _, key := range order {
		is := issues[key]
		var p Path
		if key != "" {
			p = strings.Split(key, "\x00")
		}
		msgs := is.msgs
		switch {
		case len(msgs) > 0:
		case len(is.conflicts) > 1:
			sort.Strings(is.conflicts)
			msgs = []string{fmt.Sprintf("must be one of %s (got %s)", strings.Join(dedupe(is.conflicts), ", "), is.got)}
		case len(is.conflicts) == 1:
			msgs = []string{fmt.Sprintf("must be %s (got %s)", is.conflicts[0], is.got)}
		case !hasDeeper(issues, key):
			msgs = is.fallback
		}
		for _, m := range firstPerKind(dedupe(msgs)) {
			d := doc.Locate(SeverityError, p, m)
			d.Resource = doc.resource()
			diags = append(diags, d)
		}
	}
	if len(diags) == 0 {
		// never let an error pass unreported because no rule above knew it
		d := doc.Locate(SeverityError, nil, err.Error())
		d.Resource = doc.resource()
		diags = append(diags, d)
	}
	return diags
}

// hasDeeper tells whether an issue sits below key: then key's own fallback
// message (a failed default) only repeats it.
func hasDeeper[V any](issues map[string]V, key string) bool {
	for k := range issues {
		if len(k) > len(key) && strings.HasPrefix(k, key+"\x00") {
			return true
		}
	}
	return false
}

// mismatchedTypes explains a value of the wrong type. CUE names the input's
// value first, the schema's constraint second.
func mismatchedTypes(args []any) string {
	got, gotType, want := shorten(fmt.Sprint(args[0])), fmt.Sprint(args[2]), fmt.Sprint(args[3])
	msg := fmt.Sprintf("expected %s, got %s %s", want, gotType, got)
	if got == gotType { // null
		msg = fmt.Sprintf("expected %s, got %s", want, gotType)
	}
	if want == "string" && (gotType == "float" || gotType == "int" || gotType == "bool") {
		msg += " (quote it to make it a string)"
	}
	return msg
}

// shorten keeps a quoted input value readable in a one-line message.
func shorten(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// firstPerKind keeps one message about a type mismatch and one about an
// empty value: the other alternatives of a disjunction repeat them.
func firstPerKind(msgs []string) []string {
	var out []string
	var sawType, sawEmpty bool
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m, "expected "):
			if sawType {
				continue
			}
			sawType = true
		case m == "must not be empty":
			sawEmpty = true
		}
		out = append(out, m)
	}
	if sawEmpty {
		return []string{"must not be empty"}
	}
	return out
}

// missingFields lists the required fields absent from v, depth levels deep.
// CUE leaves out "required but not present" once a document has another
// error; listing them too means one run shows every problem.
func missingFields(v cue.Value, depth int) []Path {
	if depth == 0 {
		return nil
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var missing []Path
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

// valuePath is v's path inside its document (without the #Kind definition).
func valuePath(v cue.Value) Path {
	var p Path
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

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// patternNames explains the schema's regular expressions in words.
var patternNames = map[string]string{
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`:                                   "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`: "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', no wildcards",
	`\.`:              "must be a fully qualified host name (contain a dot)",
	`^1\.[0-9]{1,3}$`: "must be MAJOR.MINOR, e.g. \"1.30\" (quote it: 1.30 unquoted is the number 1.3)",
	`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`: "must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.30.2",
	`^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$`:           "must be a duration such as 2160h or 90m",
	`^https?://`:                                 "must be an http:// or https:// URL",
	`^/`:                                         "must be an absolute path",
	`^[0-9a-fA-F:.]+/[0-9]{1,3}$`:                "must be a network in CIDR notation, e.g. 10.0.0.0/8",
}

// boundWords are ordered so that ">=" is tried before ">".
var boundWords = []struct{ op, words string }{{">=", "at least"}, {"<=", "at most"}, {">", "greater than"}, {"<", "less than"}}

var builtinMessages = map[string]string{
	"strings.MinRunes(1)": "must not be empty",
}

// humanize rewrites CUE's bound messages ("invalid value "x" (out of bound
// =~"re")") into what the pattern means.
func humanize(msg string) string {
	if i := strings.Index(msg, " (does not satisfy "); i >= 0 && strings.HasPrefix(msg, "invalid value ") {
		builtin := strings.TrimSuffix(msg[i+len(" (does not satisfy "):], ")")
		if m, ok := builtinMessages[builtin]; ok {
			return m
		}
		if n, ok := strings.CutPrefix(builtin, "strings.MaxRunes("); ok {
			return fmt.Sprintf("must be at most %s characters (got %s)", strings.TrimSuffix(n, ")"), shorten(strings.TrimPrefix(msg[:i], "invalid value ")))
		}
		return msg
	}
	for _, b := range boundWords {
		op, words := b.op, b.words
		if i := strings.Index(msg, " (out of bound "+op); i >= 0 && strings.HasPrefix(msg, "invalid value ") {
			bound := strings.TrimSuffix(msg[i+len(" (out of bound "+op):], ")")
			return fmt.Sprintf("must be %s %s (got %s)", words, bound, shorten(strings.TrimPrefix(msg[:i], "invalid value ")))
		}
	}
	const marker = " (out of bound =~"
	i := strings.Index(msg, marker)
	if i < 0 || !strings.HasPrefix(msg, "invalid value ") {
		return msg
	}
	quoted := strings.TrimSuffix(msg[i+len(marker):], ")")
	var re string
	if _, err := fmt.Sscanf(quoted, "%q", &re); err != nil {
		return msg
	}
	if name, ok := patternNames[re]; ok {
		return fmt.Sprintf("%s (got %s)", name, shorten(strings.TrimPrefix(msg[:i], "invalid value ")))
	}
	return msg
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
