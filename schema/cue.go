package schema

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
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

func compileSchema() (*compiled, error) {
	const dir = "/meshwright/schema"
	entries, err := cueFiles.ReadDir(".")
	if err != nil {
		return nil, err
	}
	overlay := map[string]load.Source{}
	for _, e := range entries {
		b, err := cueFiles.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		overlay[path.Join(dir, e.Name())] = load.FromBytes(b)
	}
	insts := load.Instances([]string{"."}, &load.Config{Dir: dir, Overlay: overlay})
	if err := insts[0].Err; err != nil {
		return nil, fmt.Errorf("loading embedded schema: %w", err)
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(insts[0])
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

// validate unifies a document with its kind's definition and decodes the
// defaulted result into out. Problems come back as located diagnostics.
func (c *compiled) validate(doc *document, out any) []Diagnostic {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.kinds[doc.kind].Unify(c.ctx.Encode(doc.value))
	if err := v.Validate(cue.Concrete(true), cue.All()); err != nil {
		return c.diagnostics(doc, err)
	}
	if err := v.Decode(out); err != nil {
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
		case strings.Contains(msg, "errors in empty disjunction"):
		case format == "conflicting values %s and %s" && len(args) == 2:
			is.conflicts = append(is.conflicts, fmt.Sprint(args[0]))
			is.got = fmt.Sprint(args[1])
		case strings.HasPrefix(msg, "incompatible list lengths"):
			// the default list was tried and did not fit: not the user's mistake
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
		if len(msgs) == 0 && len(is.conflicts) > 1 {
			sort.Strings(is.conflicts)
			msgs = []string{fmt.Sprintf("must be one of %s (got %s)", strings.Join(is.conflicts, ", "), is.got)}
		} else if len(msgs) == 0 && len(is.conflicts) == 1 {
			msgs = []string{fmt.Sprintf("must be %s (got %s)", is.conflicts[0], is.got)}
		}
		for _, m := range dedupe(msgs) {
			d := doc.Locate(SeverityError, p, m)
			d.Resource = doc.resource()
			diags = append(diags, d)
		}
	}
	return diags
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
}

// humanize rewrites CUE's bound messages ("invalid value "x" (out of bound
// =~"re")") into what the pattern means.
func humanize(msg string) string {
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
		return fmt.Sprintf("%s (got %s)", name, strings.TrimPrefix(msg[:i], "invalid value "))
	}
	return msg
}
