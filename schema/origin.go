package schema

import (
	"bytes"
	"strconv"
	"sync"

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
//
// The loader's Origins keep the file's bytes, not the document's node tree,
// and parse the document again the first time they locate a path: the trees
// of every document would otherwise stay live for the whole render (about
// 680 MiB at 10,000 Tenants) for the few documents a diagnostic is
// reported in, and make every garbage collection walk them.
type Origin struct {
	File  string
	Index int // position of the document in its file, 0-based
	root  *yaml.Node
	doc   *sourceDocument
}

// NewOrigin is the origin of the document at index in file, whose parsed
// YAML is root (a mapping node, or nil when there is no tree to point into).
func NewOrigin(file string, index int, root *yaml.Node) Origin {
	return Origin{File: file, Index: index, root: root}
}

// Source is an input file whose documents' Origins parse them again when
// they locate a path. The loader makes one per file, and an Origin for each
// document its yaml.v3 Decoder returns.
type Source struct {
	file string
	data []byte
	// line (1-based, counted as yaml.v3 counts lines) begins at byte
	// offset: the start of the previous Origin's document, so that a file of
	// many documents has its lines counted once
	line, offset int

	decodeAll sync.Once
	roots     []*yaml.Node // every document's root, decoded from the file's start
}

// NewSource is the source of the documents of f. It keeps f.Data, which must
// not change while its Origins live: they parse it again.
func NewSource(f File) *Source {
	return &Source{file: f.Path, data: f.Data, line: 1}
}

// Origin is the origin of the document at index, which the loader's yaml.v3
// Decoder returned as doc (a DocumentNode). It keeps where the document
// starts, not doc. Origins made in document order count the file's lines
// once; out of order, from its start again.
func (s *Source) Origin(index int, doc *yaml.Node) Origin {
	if len(doc.Content) == 0 {
		return Origin{File: s.file, Index: index}
	}
	return s.OriginAt(index, doc.Line, doc.Content[0].Line, doc.Content[0].Column)
}

// OriginAt is Origin for a document yaml.v3 places at line, its root at
// rootLine and rootColumn.
func (s *Source) OriginAt(index, line, rootLine, rootColumn int) Origin {
	if line < s.line {
		s.line, s.offset = 1, 0
	}
	for s.line < line && s.offset < len(s.data) {
		s.offset += lineLength(s.data[s.offset:])
		s.line++
	}
	o := Origin{File: s.file, Index: index}
	o.doc = &sourceDocument{source: s, index: index, offset: s.offset, line: s.line, rootLine: rootLine, rootColumn: rootColumn}
	return o
}

// lineLength is the length of b's first line with its line break; yaml.v3
// breaks lines at CR LF, CR, LF, NEL, LS and PS.
func lineLength(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			return i + 1
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				return i + 2
			}
			return i + 1
		case 0xC2: // NEL
			if i+1 < len(b) && b[i+1] == 0x85 {
				return i + 2
			}
		case 0xE2: // LS, PS
			if i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9) {
				return i + 3
			}
		}
	}
	return len(b)
}

// sourceDocument is a document of a Source, parsed once, when one of the
// copies of its Origin first locates a path.
type sourceDocument struct {
	source *Source
	index  int
	// the line the document starts on: its number and where it begins
	line, offset int
	// where the loader found the root, which a parse of the document
	// alone must find too to be the tree the loader parsed
	rootLine, rootColumn int

	parse sync.Once
	root  *yaml.Node
	lines int // lines before the text root was parsed from
}

// tree is the document's root as the loader parsed it, and the number to add
// to its nodes' lines.
func (d *sourceDocument) tree() (*yaml.Node, int) {
	d.parse.Do(func() {
		// Only the first document may start without --- or a directive, so
		// the document starts its line, and decoding from there reads it
		// as the loader's decoder did: one document, not the file up to it.
		var doc yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(d.source.data[d.offset:])).Decode(&doc)
		if err == nil && len(doc.Content) > 0 {
			root, lines := doc.Content[0], d.line-1
			if root.Line+lines == d.rootLine && root.Column == d.rootColumn {
				d.root, d.lines = root, lines
				return
			}
		}
		// Alone, a document with an alias to an earlier document's anchor
		// does not decode: yaml.v3 keeps anchors from one document of a
		// stream to the next. A root found elsewhere would mean lines
		// counted otherwise than yaml.v3 counts them. Either way, the
		// file's documents decoded from its start are the loader's.
		d.root = d.source.decoded(d.index)
	})
	return d.root, d.lines
}

// decoded is the root of the document at index as the loader's decoder
// returned it. The file is decoded once for all its documents that need it,
// so that a file of many such documents, each with a diagnostic, is not
// decoded once for each.
func (s *Source) decoded(index int) *yaml.Node {
	s.decodeAll.Do(func() {
		dec := yaml.NewDecoder(bytes.NewReader(s.data))
		for {
			var doc yaml.Node
			if dec.Decode(&doc) != nil {
				return
			}
			var root *yaml.Node
			if len(doc.Content) > 0 {
				root = doc.Content[0]
			}
			s.roots = append(s.roots, root)
		}
	})
	if index < 0 || index >= len(s.roots) {
		return nil
	}
	return s.roots[index]
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
	root, lines := o.root, 0
	if o.doc != nil {
		root, lines = o.doc.tree()
	}
	if n := deepest(root, path); n != nil {
		return n.Line + lines, n.Column
	}
	return 0, 0
}

func deepest(root *yaml.Node, path Path) *yaml.Node {
	node := root
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
