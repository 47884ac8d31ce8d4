package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/meshwright/meshwright/schema"
)

// The input API reference, docs/api.md: a Markdown page generated from the
// JSON Schema above (so from the CUE definitions), one table per object.
// The generator reads the schema's JSON the way any consumer would and
// refuses keywords it does not know, so a schema change cannot silently
// drop a constraint from the page.

// referenceIntro is the hand-written top of docs/api.md.
const referenceIntro = `<!-- Code generated from schema/cueschema/*.cue by TestReferenceIsCurrent; DO NOT EDIT.
     Regenerate: go test ./schema/jsonschema -run TestReferenceIsCurrent -update -->

# Input API reference

meshwright reads two kinds of YAML documents, both with
` + "`apiVersion: " + schema.APIVersion + "`" + `:

- one **Mesh** per render: the cluster's Istio control plane (revisions,
  tags, CNI), its ingress and egress gateways, mesh-wide security and
  certificates;
- any number of **Tenants**: the namespaces a team owns, its services and
  how they are exposed, and the external hosts it may reach.

This page is generated from the CUE schema, ` + "`schema/cueschema/*.cue`" + `,
through the JSON Schema that ` + "`meshwright schema`" + ` prints, so it lists
exactly the fields validation accepts. Do not edit it by hand: change the
schema or its comments (the descriptions below), then regenerate it with

` + "```" + `
go test ./schema/jsonschema -run TestReferenceIsCurrent -update
` + "```" + `

How to read the tables:

- **Field** is the path from the top of the document: ` + "`[]`" + ` stands for
  every element of a list, ` + "`*`" + ` for every key of a map. A field that
  holds an object links to the table of its own fields.
- **Required**: the field must be given whenever the object that holds it
  is (` + "`spec.certificates.issuer`" + ` only when there are
  ` + "`spec.certificates`" + `). A field this page does not list is refused
  ([MW0100](diagnostics.md#mw0100)).
- **Default** is what applies when the field is left out: a value, or in
  words when it is computed from other fields or filled in after
  validation. An optional field without a default is simply unset.
- **Allowed values** are the enumerations and the form a value must have;
  the exact regular expressions are in the JSON Schema.
- Rules that span several fields or documents (unique names, hosts under
  the Mesh's domain, known revisions and gateways...) are not repeated
  here: see the [diagnostic codes](diagnostics.md).
`

// computedDefaults states, for the reference page, the defaults the JSON
// Schema cannot carry: those CUE computes from other fields (*revisions[0].name)
// and those meshwright fills in after validation (schema/load/defaults.go).
// Keyed by kind and field path; the test checks every key is a field without
// a static default.
var computedDefaults = map[string]string{
	"Mesh spec.controlPlane.defaultRevision":    "the first revision's `name`",
	"Mesh spec.controlPlane.gatewayRevision":    "`defaultRevision`",
	"Mesh spec.controlPlane.revisions[].name":   "`version` with dashes for dots (`1.24.3` → `1-24-3`)",
	"Mesh spec.gateways.ingress":                "one gateway named `istio-ingressgateway`, in the control-plane namespace",
	"Mesh spec.gateways.egress":                 "`[]`: no egress gateway",
	"Mesh spec.gateways.ingress[].namespace":    "`spec.controlPlane.namespace`",
	"Mesh spec.gateways.egress[].namespace":     "`spec.controlPlane.namespace`",
	"Mesh spec.gateways.ingress[].labels":       "`istio: <name without its istio- prefix>`",
	"Mesh spec.gateways.egress[].labels":        "`istio: <name without its istio- prefix>`",
	"Mesh spec.gateways.ingress[].service.type": "`LoadBalancer`",
	"Mesh spec.gateways.egress[].service.type":  "`ClusterIP`",
	"Mesh spec.security.jwksBlockedCIDRs":       "`[169.254.0.0/16, fe80::/10]`",
	"Tenant spec.revision":                      "the Mesh's `spec.controlPlane.defaultRevision`",
	"Tenant spec.namespaces[].revision":         "the tenant's `spec.revision`",
	"Tenant spec.services[].namespace":          "the first of `spec.namespaces`",
	"Tenant spec.services[].ingress.gateway":    "the Mesh's first ingress gateway",
	"Tenant spec.services[].ingress.host":       "`<service>.<namespace>.<Mesh spec.domain>`",
	"Tenant spec.egress[].namespace":            "the first of `spec.namespaces`",
	"Tenant spec.egress[].location":             "`cluster` for `*.svc.cluster.local` hosts, else `external`",
	"Tenant spec.egress[].gateway":              "the Mesh's first egress gateway",
}

// namedPatterns names the regular expressions of the schema's common
// string forms (#Name, #Host, #Duration...): the tables show the name,
// linked to the list of forms at the end of the page with the rule and the
// expression. A form without a rule is shown as its name alone. A pattern
// not listed is shown as it is; the test checks every entry is in use.
var namedPatterns = map[string]stringForm{
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`:                                   {"DNS label", "lowercase letters, digits and `-`, starting and ending with a letter or digit (RFC 1123)"},
	`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`: {"DNS subdomain", "DNS labels joined by `.` (RFC 1123)"},
	`\.`:                               {"contains a `.`", ""},
	`^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$`: {"Duration", "a number of hours, minutes, seconds or milliseconds, or several: `2160h`, `1h30m`, `90s`"},
	`^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$`: {"Quantity", "a Kubernetes resource quantity: `100m`, `0.5`, `128Mi`, `2`"},
	`^[0-9a-fA-F:.]+/[0-9]{1,3}$`:                           {"CIDR", "an IPv4 or IPv6 network as address/prefix: `10.0.0.0/8`, `fd00::/8`"},
	`^https?://`:                                            {"URL", "starts with `http://` or `https://`"},
	`^/`:                                                    {"Absolute path", "starts with `/`"},
	`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`: {"Istio version", "MAJOR.MINOR.PATCH, optionally with a `-suffix`: `1.24.3`, `1.25.0-beta.1`"},
	`^1\.[0-9]{1,3}$`: {"Kubernetes version", "MAJOR.MINOR: `\"1.30\"`; quote it, or YAML reads a number (1.30 becomes 1.3)"},
	`^[a-z0-9]([-a-z0-9._:]*[a-z0-9])?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$`: {"Image registry", "a registry host and path, lowercase: `docker.io/istio`, `registry.example.com:5000/istio`"},
}

// stringForm is what namedPatterns says about a pattern.
type stringForm struct {
	name string // in the tables
	rule string // in the list of forms; "" keeps the form out of it
}

// formsHeading is the title of the list of string forms, and formsAnchor
// its anchor.
const (
	formsHeading = "String forms"
	formsAnchor  = "string-forms"
)

// knownKeywords are the JSON Schema keywords the page renders or may
// ignore; Reference refuses any other, so the page cannot drop one silently.
var knownKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "prefixItems": true, "minItems": true, "maxItems": true,
	"enum": true, "const": true, "pattern": true, "not": true, "minLength": true, "maxLength": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"anyOf": true, "allOf": true, "propertyNames": true,
	"default": true, "description": true, "title": true,
}

// node is one JSON Schema object as decoded from JSON.
type node = map[string]any

// Reference returns the input API reference, docs/api.md: for Mesh and
// Tenant, every field with its type, allowed values, default, whether it
// is required, and its description from the CUE comments.
func Reference() ([]byte, error) {
	data, err := JSONSchema()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root node
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("reading the generated JSON Schema: %w", err)
	}
	defs, _ := root["$defs"].(node)

	var docs []*referenceDoc
	anchors := map[string]string{}
	for _, kind := range []string{schema.KindMesh, schema.KindTenant} {
		def, ok := defs[kind].(node)
		if !ok {
			return nil, fmt.Errorf("the JSON Schema has no definition of %s", kind)
		}
		d := &referenceDoc{kind: kind, def: def}
		if err := d.collect("", def, "", 0); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		for _, s := range d.sections {
			a := s.anchor(kind)
			if other, taken := anchors[a]; taken {
				return nil, fmt.Errorf("%s %s and %s have the same anchor #%s", kind, s.path, other, a)
			}
			anchors[a] = kind + " " + s.path
		}
		docs = append(docs, d)
	}

	var b bytes.Buffer
	b.WriteString(referenceIntro)
	b.WriteString("\n## Contents\n\n")
	for _, d := range docs {
		fmt.Fprintf(&b, "- [%s](#%s)\n", d.kind, slug(d.kind))
		for _, s := range d.sections[1:] {
			fmt.Fprintf(&b, "%s- [`%s`](#%s)\n", strings.Repeat("  ", s.depth), s.path, s.anchor(d.kind))
		}
	}
	fmt.Fprintf(&b, "- [%s](#%s)\n", formsHeading, formsAnchor)
	for _, d := range docs {
		if err := d.write(&b); err != nil {
			return nil, fmt.Errorf("%s: %w", d.kind, err)
		}
	}
	writeForms(&b)
	return b.Bytes(), nil
}

// writeForms lists the named string forms with their rule and expression.
func writeForms(b *bytes.Buffer) {
	fmt.Fprintf(b, "\n## %s\n\n", formsHeading)
	b.WriteString("The forms the tables name. The exact expressions are also in the JSON Schema.\n\n")
	b.WriteString("| Form | Rule | Regular expression |\n|---|---|---|\n")
	patterns := make([]string, 0, len(namedPatterns))
	for re, f := range namedPatterns {
		if f.rule != "" {
			patterns = append(patterns, re)
		}
	}
	sort.Slice(patterns, func(i, j int) bool {
		return strings.ToLower(namedPatterns[patterns[i]].name) < strings.ToLower(namedPatterns[patterns[j]].name)
	})
	for _, re := range patterns {
		f := namedPatterns[re]
		fmt.Fprintf(b, "| %s | %s | %s |\n", cell(f.name), cell(f.rule), cell(codeSpan(re)))
	}
}

// referenceDoc is the part of the page about one kind.
type referenceDoc struct {
	kind     string
	def      node
	sections []referenceSection
}

// referenceSection is one object level: a table of its fields.
type referenceSection struct {
	path        string // "" for the document itself
	description string // of the field that holds the object
	schema      node
	depth       int
}

func (s referenceSection) anchor(kind string) string {
	if s.path == "" {
		return slug(kind)
	}
	return slug(kind + " " + s.path)
}

// collect lists the object levels under s, depth first, in the order of
// the tables.
func (d *referenceDoc) collect(path string, s node, description string, depth int) error {
	if err := checkKeywords(path, s); err != nil {
		return err
	}
	if _, ok := s["properties"].(node); ok {
		d.sections = append(d.sections, referenceSection{path: path, description: description, schema: s, depth: depth})
		for _, name := range fieldOrder(s) {
			child := s["properties"].(node)[name].(node)
			desc, _ := child["description"].(string)
			if err := d.collect(joinPath(path, name), child, desc, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, key := range []string{"anyOf", "allOf"} {
		alts, _ := s[key].([]any)
		for _, a := range alts {
			if an, ok := a.(node); ok && hasObjectWithFields(an) {
				return fmt.Errorf("%s: %s with an object that has fields; the reference page cannot show it yet", path, key)
			}
		}
	}
	if items, ok := s["items"].(node); ok {
		if err := d.collect(path+"[]", items, description, depth); err != nil {
			return err
		}
	}
	if prefix, ok := s["prefixItems"].([]any); ok {
		for _, p := range prefix {
			if pn, ok := p.(node); ok && hasObjectWithFields(pn) {
				return fmt.Errorf("%s: prefixItems with an object that has fields; the reference page cannot show it yet", path)
			}
		}
	}
	if values, ok := s["additionalProperties"].(node); ok {
		if err := d.collect(path+".*", values, description, depth); err != nil {
			return err
		}
	}
	if names, ok := s["propertyNames"].(node); ok {
		return checkKeywords(path+" (keys)", names)
	}
	return nil
}

func hasObjectWithFields(s node) bool {
	if _, ok := s["properties"]; ok {
		return true
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if n, ok := s[key].(node); ok && hasObjectWithFields(n) {
			return true
		}
	}
	for _, key := range []string{"anyOf", "allOf", "prefixItems"} {
		list, _ := s[key].([]any)
		for _, a := range list {
			if n, ok := a.(node); ok && hasObjectWithFields(n) {
				return true
			}
		}
	}
	return false
}

// checkKeywords refuses a keyword the page does not know, in s and in the
// schemas it holds that are shown in s's row (alternatives, items, keys).
func checkKeywords(path string, s node) error {
	for k, v := range s {
		if !knownKeywords[k] {
			return fmt.Errorf("%s: JSON Schema keyword %q is not shown by the reference page; teach reference.go about it", displayPath(path), k)
		}
		switch k {
		case "anyOf", "allOf", "prefixItems":
			list, _ := v.([]any)
			for _, a := range list {
				if n, ok := a.(node); ok {
					if err := checkKeywords(path, n); err != nil {
						return err
					}
				}
			}
		case "not":
			if n, ok := v.(node); ok {
				if err := checkKeywords(path, n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func displayPath(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// leadingFields come first in a table, in this order, as Kubernetes
// documents and lists of named things are read; the other fields follow
// alphabetically.
var leadingFields = []string{"apiVersion", "kind", "metadata", "spec", "name", "namespace"}

func fieldOrder(s node) []string {
	props, _ := s["properties"].(node)
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	rank := func(name string) int {
		if i := slices.Index(leadingFields, name); i >= 0 {
			return i
		}
		return len(leadingFields)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

func (d *referenceDoc) write(b *bytes.Buffer) error {
	for i, s := range d.sections {
		if i == 0 {
			fmt.Fprintf(b, "\n## %s\n\n", d.kind)
			if desc, _ := d.def["description"].(string); desc != "" {
				fmt.Fprintf(b, "%s\n\n", markdownText(desc))
			}
			fmt.Fprintf(b, "A %s document (`apiVersion: %s`, `kind: %s`).\n\n", d.kind, schema.APIVersion, d.kind)
		} else {
			fmt.Fprintf(b, "\n### %s `%s`\n\n", d.kind, s.path)
			if s.description != "" {
				fmt.Fprintf(b, "%s\n\n", markdownText(s.description))
			}
		}
		b.WriteString("| Field | Type | Allowed values | Default | Required | Description |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
		props := s.schema["properties"].(node)
		required := stringSet(s.schema["required"])
		for _, name := range fieldOrder(s.schema) {
			path := joinPath(s.path, name)
			f := props[name].(node)
			req := "no"
			if required[name] {
				req = "**yes**"
			}
			desc, _ := f["description"].(string)
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n",
				cell(codeSpan(path)),
				cell(d.typeText(path, f)),
				cell(constraintsText(f)),
				cell(d.defaultText(path, f)),
				req,
				cell(markdownText(desc)))
		}
	}
	return nil
}

func stringSet(v any) map[string]bool {
	set := map[string]bool{}
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			set[s] = true
		}
	}
	return set
}

// typeText names the type of a field's value; an object links to its table.
func (d *referenceDoc) typeText(path string, s node) string {
	return d.typeName(path, s, false)
}

func (d *referenceDoc) typeName(path string, s node, plural bool) string {
	p := func(word string) string {
		if plural {
			return word + "s"
		}
		return word
	}
	if _, ok := s["properties"]; ok {
		return fmt.Sprintf("[%s](#%s)", p("object"), slug(d.kind+" "+path))
	}
	switch t := s["type"].(type) {
	case string:
		switch t {
		case "array":
			if items, ok := s["items"].(node); ok {
				return p("list") + " of " + d.typeName(path+"[]", items, true)
			}
			return p("list")
		case "object":
			if values, ok := s["additionalProperties"].(node); ok {
				return p("map") + " of string to " + d.typeName(path+".*", values, false)
			}
			return p("object")
		}
		return p(t)
	case []any:
		var names []string
		for _, x := range t {
			names = append(names, p(fmt.Sprint(x)))
		}
		return strings.Join(names, " or ")
	}
	if c, ok := s["const"]; ok {
		return p(jsonTypeOf(c))
	}
	if e, ok := s["enum"].([]any); ok {
		var names []string
		for _, x := range e {
			if n := p(jsonTypeOf(x)); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		return strings.Join(names, " or ")
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var names []string
		for _, a := range alts {
			if an, ok := a.(node); ok {
				if n := d.typeName(path, an, plural); !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		return strings.Join(names, " or ")
	}
	return "any"
}

func jsonTypeOf(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "any"
}

// constraintsText is every constraint on a value: enumerations, forms,
// lengths and bounds, and those of list elements, map keys and values.
func constraintsText(s node) string {
	var parts []string
	if c, ok := s["const"]; ok {
		parts = append(parts, "only "+codeSpan(valueText(c)))
	}
	if e, ok := s["enum"].([]any); ok {
		var vals []string
		for _, x := range e {
			vals = append(vals, codeSpan(valueText(x)))
		}
		parts = append(parts, strings.Join(vals, ", "))
	}
	if re, ok := s["pattern"].(string); ok {
		parts = append(parts, patternText(re))
	}
	if n, ok := s["not"].(node); ok {
		if re, ok := n["pattern"].(string); ok {
			parts = append(parts, "must not match "+codeSpan(re))
		} else if inner := constraintsText(n); inner != "" {
			parts = append(parts, "not: "+inner)
		}
	}
	parts = append(parts, lengthText(s)...)
	parts = append(parts, boundsText(s)...)
	if n, ok := number(s["minItems"]); ok {
		if m, ok := number(s["maxItems"]); ok && m == n {
			parts = append(parts, "exactly "+n+" "+items(n))
		} else {
			parts = append(parts, "at least "+n+" "+items(n))
		}
	}
	if m, ok := number(s["maxItems"]); ok {
		if n, _ := number(s["minItems"]); n != m {
			parts = append(parts, "at most "+m+" "+items(m))
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, a := range all {
			if an, ok := a.(node); ok {
				if t := constraintsText(an); t != "" {
					parts = append(parts, t)
				}
			}
		}
	}
	if alts, ok := s["anyOf"].([]any); ok {
		var texts []string
		for _, a := range alts {
			an, ok := a.(node)
			if !ok {
				continue
			}
			t := constraintsText(an)
			if tn, ok := an["type"].(string); ok && t != "" {
				t = tn + ": " + t
			} else if ok && t == "" {
				t = "any " + tn
			}
			if t != "" {
				texts = append(texts, t)
			}
		}
		if len(texts) > 0 {
			parts = append(parts, strings.Join(texts, "; or "))
		}
	}
	if prefix, ok := s["prefixItems"].([]any); ok {
		var texts []string
		for i, p := range prefix {
			if pn, ok := p.(node); ok {
				if t := constraintsText(pn); t != "" {
					texts = append(texts, fmt.Sprintf("item %d: %s", i+1, t))
				}
			}
		}
		parts = append(parts, texts...)
	}
	if keys, ok := s["propertyNames"].(node); ok {
		if t := constraintsText(keys); t != "" {
			parts = append(parts, "keys: "+t)
		}
	}
	if _, isObject := s["properties"]; !isObject {
		if it, ok := s["items"].(node); ok {
			if _, fields := it["properties"]; !fields {
				if t := constraintsText(it); t != "" {
					parts = append(parts, "each: "+t)
				}
			}
		}
		if vals, ok := s["additionalProperties"].(node); ok {
			if _, fields := vals["properties"]; !fields {
				if t := constraintsText(vals); t != "" {
					parts = append(parts, "values: "+t)
				}
			}
		}
	}
	return strings.Join(parts, "; ")
}

func items(n string) string {
	if n == "1" {
		return "item"
	}
	return "items"
}

func patternText(re string) string {
	if f, ok := namedPatterns[re]; ok {
		if f.rule == "" {
			return f.name
		}
		return fmt.Sprintf("[%s](#%s)", f.name, formsAnchor)
	}
	return "matches " + codeSpan(re)
}

func lengthText(s node) []string {
	lo, hasLo := number(s["minLength"])
	hi, hasHi := number(s["maxLength"])
	switch {
	case hasLo && hasHi:
		return []string{lo + " to " + hi + " characters"}
	case hasLo && lo == "1":
		return []string{"non-empty"}
	case hasLo:
		return []string{"at least " + lo + " characters"}
	case hasHi:
		return []string{"at most " + hi + " characters"}
	}
	return nil
}

func boundsText(s node) []string {
	lo, hasLo := number(s["minimum"])
	hi, hasHi := number(s["maximum"])
	var out []string
	switch {
	case hasLo && hasHi:
		out = append(out, lo+" to "+hi)
	case hasLo:
		out = append(out, "at least "+lo)
	case hasHi:
		out = append(out, "at most "+hi)
	}
	if x, ok := number(s["exclusiveMinimum"]); ok {
		out = append(out, "greater than "+x)
	}
	if x, ok := number(s["exclusiveMaximum"]); ok {
		out = append(out, "less than "+x)
	}
	return out
}

func number(v any) (string, bool) {
	if n, ok := v.(json.Number); ok {
		return n.String(), true
	}
	return "", false
}

// defaultText is the static default from the schema, else the computed one
// stated in computedDefaults.
func (d *referenceDoc) defaultText(path string, s node) string {
	if v, ok := s["default"]; ok {
		return codeSpan(valueText(v))
	}
	return computedDefaults[d.kind+" "+path]
}

// valueText writes a value as it would be written in YAML: plain strings
// bare, strings YAML would read as something else quoted, and lists and
// objects in flow style (JSON).
func valueText(v any) string {
	if s, ok := v.(string); ok && plainYAML(s) {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// plainYAML tells whether YAML reads s unquoted as the same string: not
// empty, not a number, boolean or null (YAML 1.1 included, as Kubernetes
// tools read it), and free of the characters that start or end plain
// scalars.
func plainYAML(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return false
	}
	if numberLike.MatchString(s) {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #") && !strings.HasSuffix(s, ":")
}

// numberLike matches what a YAML reader may take for a number: digits with
// dots, signs, underscores, colons (1.1 sexagesimal), exponents, 0x and 0o
// prefixes, .inf and .nan.
var numberLike = regexp.MustCompile(`^([-+]?[0-9][0-9_:]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+([eE][-+]?[0-9]+)?|0[xXoObB][0-9a-fA-F_]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$`)

func codeSpan(s string) string {
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// markdownText escapes the characters of plain text that Markdown would
// read as markup: <hub> as an HTML tag, * as emphasis. Paragraphs become
// line breaks, as a table cell holds one line.
func markdownText(s string) string {
	s = strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "*", `\*`, "`", "\\`").Replace(s)
	return strings.ReplaceAll(s, "\n\n", "<br><br>")
}

// cell makes text safe in a table cell: a | would end the cell, even in a
// code span.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// slug is the anchor GitHub gives a heading: lowercase, punctuation
// dropped, spaces as dashes.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
