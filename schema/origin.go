package schema

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// File is an input file's name and contents.
type File struct {
	Path string
	Data []byte
}

// Spec is one validated render input: exactly one Mesh and its Tenants, in
// the order they were read.
type Spec struct {
	Mesh    *Mesh
	Tenants []*Tenant
	// Warnings are problems that do not stop the render.
	Warnings []Diagnostic
}

// Origin is where an input document came from; it locates field paths in the
// user's YAML for diagnostics. It is the one place that maps a field path to
// a file, line and column.
type Origin struct {
	File  string
	Index int // position of the document in its file, 0-based
	root  *yaml.Node
}

// NewOrigin is the origin of the document at index in file, whose parsed
// YAML is root (a mapping node, or nil when there is no tree to point into).
func NewOrigin(file string, index int, root *yaml.Node) Origin {
	return Origin{File: file, Index: index, root: root}
}

// Locate returns a diagnostic for path, positioned at the deepest part of the
// path that exists in the YAML (a missing field is reported at its parent).
func (o Origin) Locate(sev Severity, code Code, path Path, msg string) Diagnostic {
	d := Diagnostic{Severity: sev, Code: code, File: o.File, Index: o.Index, Path: path, Message: msg}
	d.Line, d.Column = o.Position(path)
	return d
}

// Position is the line and column of the deepest part of path the document
// has; 0, 0 when there is no YAML tree.
func (o Origin) Position(path Path) (line, column int) {
	if n := o.deepest(path); n != nil {
		return n.Line, n.Column
	}
	return 0, 0
}

func (o Origin) deepest(path Path) *yaml.Node {
	node := o.root
	if node == nil {
		return nil
	}
	at := node
	for _, seg := range path {
		node = ResolveAlias(node)
		switch node.Kind {
		case yaml.MappingNode:
			next := (*yaml.Node)(nil)
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == seg {
					at, next = node.Content[i], node.Content[i+1]
					break
				}
			}
			if next == nil {
				return at
			}
			node = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node.Content) {
				return at
			}
			node = node.Content[i]
			at = node
		default:
			return at
		}
	}
	return at
}

// ResolveAlias follows a YAML alias to the node it names.
func ResolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
