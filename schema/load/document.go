package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright/schema"
)

// Limits on one document, so aliases cannot turn a small file into an
// unbounded one ("billion laughs") and nesting cannot exhaust the stack.
const (
	maxNodes   = 1 << 20
	maxNesting = 64
)

// document is one YAML document of an input file.
type document struct {
	schema.Origin
	apiVersion, kind, name string
	value                  any // plain Go value: map[string]any, []any, scalars
}

// resource names the document as "Kind/name" for diagnostics.
func (d *document) resource() string {
	if d.kind == "" {
		return ""
	}
	return d.kind + "/" + d.name
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// splitDocuments parses every YAML document of a file: directly when it is
// written in the part of YAML fastDocuments reads, through yaml.v3
// otherwise.
func splitDocuments(file string, data []byte) ([]*document, []schema.Diagnostic) {
	if !utf8.Valid(data) {
		return nil, []schema.Diagnostic{invalidUTF8(file, data)}
	}
	src := schema.NewSource(schema.File{Path: file, Data: data})
	if fast, ok := fastDocuments(data); ok {
		docs := make([]*document, len(fast))
		for i, f := range fast {
			docs[i] = documentOf(src.OriginAt(i, f.line, f.rootLine, f.rootColumn), f.value)
		}
		return docs, nil
	}
	return yamlDocuments(src, file, data)
}

// yamlDocuments is splitDocuments through yaml.v3, for any YAML. A syntax
// error ends the file: YAML cannot resynchronise after one.
func yamlDocuments(src *schema.Source, file string, data []byte) ([]*document, []schema.Diagnostic) {
	var docs []*document
	var diags []schema.Diagnostic
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for index := 0; ; index++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return docs, diags
		}
		if err != nil {
			return docs, append(diags, syntaxDiagnostic(file, index, data, err))
		}
		doc, ds := newDocument(src, index, &root)
		diags = append(diags, ds...)
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// invalidUTF8 locates the first byte that is not UTF-8, which the YAML
// parser reports without a position.
func invalidUTF8(file string, data []byte) schema.Diagnostic {
	line, col := 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return schema.Diagnostic{Severity: schema.SeverityError, Code: schema.CodeInvalidUTF8, File: file, Line: line, Column: col, Message: "file is not valid UTF-8"}
}

// syntaxDiagnostic locates a YAML syntax error. yaml.v3's own message
// names the line where the enclosing construct started, one too early, and
// no column; a second parser that reports the offending token places it,
// with yaml.v3's message kept when that parser accepts the file.
func syntaxDiagnostic(file string, index int, data []byte, err error) schema.Diagnostic {
	d := schema.Diagnostic{Severity: schema.SeverityError, Code: schema.CodeInvalidYAML, File: file, Index: index, Message: "invalid YAML: " + err.Error()}
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		d.Message = "invalid YAML: " + m[2]
	}
	var located goccy.Error
	if _, perr := goccyparser.ParseBytes(data, 0); errors.As(perr, &located) && located.GetToken() != nil {
		// yaml.v3's line is never after the problem: a later position is
		// the same problem placed better, an earlier one a disagreement
		if pos := located.GetToken().Position; pos.Line >= d.Line {
			d.Line, d.Column = pos.Line, pos.Column
			d.Message = "invalid YAML: " + strings.ReplaceAll(located.GetMessage(), "\t", `\t`)
		}
	}
	if indentedWithTab(data, d.Line) {
		d.Message += " (tabs are not allowed for indentation: indent with spaces)"
	}
	return d
}

// indentedWithTab tells whether line (1-based) of data starts with
// whitespace that holds a tab.
func indentedWithTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return false
	}
	l := lines[line-1]
	indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0
}

// newDocument converts one document as the decoder returned it (a
// DocumentNode); empty documents yield nil. The node tree is garbage once
// converted: the document's Origin parses it again if a diagnostic needs it.
func newDocument(src *schema.Source, index int, decoded *yaml.Node) (*document, []schema.Diagnostic) {
	if len(decoded.Content) == 0 {
		return nil, nil
	}
	node := decoded.Content[0]
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		return nil, nil
	}
	o := src.Origin(index, decoded)
	if schema.ResolveAlias(node).Kind != yaml.MappingNode {
		return nil, []schema.Diagnostic{o.Locate(schema.SeverityError, schema.CodeNotAMapping, nil, "document must be a mapping with apiVersion and kind")}
	}
	c := converter{origin: o}
	value := c.convert(node, nil)
	if len(c.diags) > 0 {
		return nil, c.diags
	}
	return documentOf(o, value.(map[string]any)), nil
}

// documentOf is the document of a root mapping's value.
func documentOf(o schema.Origin, m map[string]any) *document {
	doc := &document{Origin: o, value: m}
	doc.apiVersion, _ = m["apiVersion"].(string)
	doc.kind, _ = m["kind"].(string)
	if md, ok := m["metadata"].(map[string]any); ok {
		doc.name, _ = md["name"].(string)
	}
	return doc
}

// converter turns a YAML node tree into plain Go values the way Kubernetes
// reads YAML (keys are strings), refusing duplicate keys, which YAML forbids
// and which would otherwise silently drop one of the values.
type converter struct {
	origin    schema.Origin
	nodes     int
	expanding map[*yaml.Node]bool // anchors being expanded, to refuse cycles
	diags     []schema.Diagnostic
}

func (c *converter) convert(n *yaml.Node, path schema.Path) any {
	c.nodes++
	switch {
	case c.nodes > maxNodes:
		if c.nodes == maxNodes+1 {
			c.diags = append(c.diags, c.at(n, schema.CodeDocumentTooLarge, path, fmt.Sprintf("document expands to more than %d values", maxNodes)))
		}
		return nil
	case len(path) > maxNesting:
		c.diags = append(c.diags, c.at(n, schema.CodeDocumentTooLarge, path, fmt.Sprintf("document is nested deeper than %d levels", maxNesting)))
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		if c.expanding[n.Alias] {
			c.diags = append(c.diags, c.at(n, schema.CodeAliasCycle, path, fmt.Sprintf("alias *%s refers to itself", n.Value)))
			return nil
		}
		if c.expanding == nil {
			c.expanding = map[*yaml.Node]bool{}
		}
		c.expanding[n.Alias] = true
		defer delete(c.expanding, n.Alias)
		return c.convert(n.Alias, path)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.diags = append(c.diags, c.at(k, schema.CodeUnsupportedKey, path, "mapping keys must be scalars"))
				continue
			}
			if k.Tag == "!!merge" {
				c.diags = append(c.diags, c.at(k, schema.CodeUnsupportedKey, path, "merge keys (<<) are not supported"))
				continue
			}
			if line, dup := seen[k.Value]; dup {
				c.diags = append(c.diags, c.at(k, schema.CodeDuplicateKey, path.Child(k.Value), fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, line)))
				continue
			}
			seen[k.Value] = k.Line
			m[k.Value] = c.convert(v, path.Child(k.Value))
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, item := range n.Content {
			l[i] = c.convert(item, path.Child(i))
		}
		return l
	case yaml.ScalarNode:
		return c.scalar(n, path)
	}
	return nil
}

func (c *converter) scalar(n *yaml.Node, path schema.Path) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
		c.diags = append(c.diags, c.at(n, schema.CodeIntegerOutOfRange, path, fmt.Sprintf("integer %s is out of range", n.Value)))
		return nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	if !utf8.ValidString(n.Value) {
		c.diags = append(c.diags, c.at(n, schema.CodeInvalidUTF8, path, "value is not valid UTF-8"))
	}
	return n.Value
}

func (c *converter) at(n *yaml.Node, code schema.Code, path schema.Path, msg string) schema.Diagnostic {
	return schema.Diagnostic{Severity: schema.SeverityError, Code: code, File: c.origin.File, Index: c.origin.Index, Line: n.Line, Column: n.Column, Path: path, Message: msg}
}
