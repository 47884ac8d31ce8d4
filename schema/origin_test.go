package schema

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// trickyStreams are files whose documents a parse of one document alone
// could place differently from the loader's parse of the whole file.
// fromStart tells the files some document of which decodes only with the
// documents before it.
var trickyStreams = []struct {
	name      string
	fromStart bool
	yaml      string
}{
	{"one document", false, "apiVersion: v1\nkind: Tenant\nspec:\n  services:\n    - name: a\n      port: 80\n"},
	{"several documents", false, "a: 1\n---\nb:\n  c: [1, 2]\n---\nd: {e: f}\n"},
	{"comments and blank lines", false, "# head\n\n  # indented\na: 1\n# tail of the first\n\n---\n\n# before the content\n\nb:\n  # inside\n  c: 2\n"},
	{"indented first document", false, "\n\n   a: 1\n   b:\n     - x\n"},
	{"content after ---", false, "a: 1\n--- {b: 1, c: [x, {d: e}]}\n--- !!map\nf: g\n--- [h, i]\n"},
	{"block scalars after ---", false, "--- |\n  text\n--- >\n  folded\n---\nk: |\n  v\n  w\nl: m\n"},
	{"explicit end markers", false, "a: 1\n...\n...\n# between\n---\nb: 2\n...\n--- \n  c: 3\n"},
	{"anchors and aliases", false, "base: &b {port: 80, tls: {mode: strict}}\nuse: *b\nlist: [&i one, *i]\n---\nbase: &b [x, y]\nuse: *b\n"},
	{"alias to a later override", false, "a: &x {b: 1}\n---\nc: &x {d: 2}\ne: *x\n"},
	{"alias across documents", true, "defaults: &d\n  port: 80\n  tls: {mode: strict}\n---\nkind: Tenant\nspec: *d\n---\nother: *d\n"},
	{"alias as the root", true, "a: &m {b: c}\n--- *m\n"},
	{"anchor redefined later", true, "a: &x 1\n---\nb: *x\nc: &x 2\nd: *x\n"},
	{"yaml directives", false, "%YAML 1.1\n---\na: 1\n...\n%YAML 1.1\n# comment\n--- {b: 2}\n"},
	{"tag directive", false, "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n...\n%TAG !e! tag:example.com,2000:\n---\nb: !e!y 2\n"},
	{"flow style", false, "{a: [1, {b: c}], d: {e: [f, g]}}\n---\n[{h: i}, [j, k], {l: {m: n}}]\n"},
	{"multi-line scalars", false, "a: plain\n  continued\nb: \"double\n  quoted\"\nc: 'single\n\n  quoted'\nd: e\n---\nf: g\n"},
	{"complex keys", false, "? [a, b]\n: c\n? {d: e}\n: f\ng: h\n---\n? x\n: y\n"},
	{"crlf", false, "a: 1\r\nb:\r\n  c: 2\r\n---\r\nd:\r\n  - e\r\n"},
	{"cr", false, "a: 1\rb: 2\r---\rc:\r  d: 3\r"},
	{"nel", false, "a: 1\u0085---\u0085b:\u0085  c: 2\u0085"},
	{"line and paragraph separators", false, "a: \"x\u2028y\u2029z\"\nb: 1\n---\nc:\n  d: \"p\u2028q\"\n  e: 2\n"},
	{"byte order mark", false, "\ufeffa: 1\n---\nb: 2\n"},
	{"empty documents", false, "---\n---\na: 1\n---\n# nothing\n---\n~\n---\nb: [1]\n"},
	{"scalar and sequence roots", false, "just a string\n---\n- a\n- b: c\n---\n42\n"},
	{"unicode", false, "ключ: значение\nemoji: \"😀\"\n---\n名前: {値: 1}\n"},
	{"syntax error later", false, "a: 1\n---\nb: {c: 2}\n---\nd: [\n"},
	{"cycle", false, "a: &x [1, *x]\n---\nb: &y {c: *y}\n"},
}

// TestOriginParsesAsTheLoaderDid holds an Origin that parses its document
// again to the one keeping the loader's tree: the same line and column for
// every path of every document, and for paths one step past each node. Only
// a document that needs the documents before it has the file decoded from
// its start.
func TestOriginParsesAsTheLoaderDid(t *testing.T) {
	for _, tt := range trickyStreams {
		t.Run(tt.name, func(t *testing.T) {
			src, n := compareOrigins(t, []byte(tt.yaml))
			if n == 0 {
				t.Fatal("no document to compare")
			}
			if fromStart := src.roots != nil; fromStart != tt.fromStart {
				t.Errorf("decoded from the start: %v, want %v", fromStart, tt.fromStart)
			}
		})
	}
}

// TestOriginParsesTheRepositorysInputsAsTheLoaderDid does the same for every
// input file of the repository.
func TestOriginParsesTheRepositorysInputsAsTheLoaderDid(t *testing.T) {
	var names []string
	for _, pattern := range []string{"../examples/*/spec/*.yaml", "../examples/*/spec/*/*.yaml", "../examples/*/*/spec/*.yaml", "../testdata/*/*/*.yaml", "../testdata/*/*/spec/*.yaml", "../fn/testdata/*/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	if len(names) == 0 {
		t.Fatal("no input files")
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { compareOrigins(t, data) })
	}
}

// FuzzOrigin holds the two Origins equal on arbitrary files.
func FuzzOrigin(f *testing.F) {
	for _, tt := range trickyStreams {
		f.Add([]byte(tt.yaml))
	}
	f.Fuzz(func(t *testing.T, data []byte) { compareOrigins(t, data) })
}

// compareOrigins decodes data as the loader does and compares, document by
// document, an Origin holding the decoded tree with one made by a Source. It
// returns the Source and the number of documents compared.
func compareOrigins(t *testing.T, data []byte) (*Source, int) {
	t.Helper()
	src := NewSource(File{Path: "in.yaml", Data: data})
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	var lazy []Origin
	for index := 0; ; index++ {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			break // the end, or a syntax error, which the loader stops at too
		}
		docs = append(docs, &doc)
		lazy = append(lazy, src.Origin(index, &doc))
	}
	for index, doc := range docs {
		o := lazy[index]
		if o.File != "in.yaml" || o.Index != index {
			t.Errorf("document %d: origin %s, %d", index, o.File, o.Index)
		}
		if o.doc != nil && o.doc.root != nil {
			t.Fatalf("document %d: parsed before a path was located", index)
		}
		var root *yaml.Node
		if len(doc.Content) > 0 {
			root = doc.Content[0]
		}
		eager := NewOrigin("in.yaml", index, root)
		budget := 5000 // aliases can make a small file's paths countless, or endless
		for _, p := range pathsOf(root, nil, &budget) {
			wantLine, wantColumn := eager.Position(p)
			line, column := o.Position(p)
			if line != wantLine || column != wantColumn {
				t.Errorf("document %d, %q: at %d:%d, the loader's tree has it at %d:%d\n%q", index, p, line, column, wantLine, wantColumn, data)
				return src, len(docs)
			}
		}
	}
	return src, len(docs)
}

// pathsOf lists the path to every node under n, following aliases, and for
// each a path that goes one step further than the tree: a missing key, an
// index out of range, a key into a scalar. It stops at a depth, where an
// alias cycle would not, and after budget nodes.
func pathsOf(n *yaml.Node, at Path, budget *int) []Path {
	if n == nil || *budget <= 0 || len(at) > 12 {
		return nil
	}
	*budget--
	paths := []Path{at, at.Child("missing"), at.Child(-1)}
	n = ResolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			paths = append(paths, pathsOf(n.Content[i+1], at.Child(n.Content[i].Value), budget)...)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			paths = append(paths, pathsOf(item, at.Child(i), budget)...)
		}
		paths = append(paths, at.Child(len(n.Content)))
	}
	return paths
}

// TestOriginTrustsOnlyAParseThatFindsTheRoot moves where a document is
// parsed from: the parse finds another root, and the Origin falls back to
// the file's documents decoded from its start.
func TestOriginTrustsOnlyAParseThatFindsTheRoot(t *testing.T) {
	data := []byte("a: 1\n---\nb:\n  c: 2\n---\nd: [e, f]\n")
	src := NewSource(File{Path: "in.yaml", Data: data})
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for index := 0; ; index++ {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			break
		}
		o := src.Origin(index, &doc)
		o.doc.offset, o.doc.line = 0, 1
		for _, p := range []Path{nil, {"b", "c"}, {"d", "1"}} {
			wantLine, wantColumn := NewOrigin("in.yaml", index, doc.Content[0]).Position(p)
			if line, column := o.Position(p); line != wantLine || column != wantColumn {
				t.Errorf("document %d, %q: at %d:%d, want %d:%d", index, p, line, column, wantLine, wantColumn)
			}
		}
	}
}

// TestOriginLocatesConcurrently locates paths in copies of the same Origins
// from many goroutines, as renders report diagnostics (run with -race):
// documents parsed alone and documents of the file decoded from its start.
func TestOriginLocatesConcurrently(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults: &d {port: 80}\n")
	for i := range 50 {
		if i%2 == 0 {
			fmt.Fprintf(&b, "---\nname: t%d\nspec: *d\n", i)
		} else {
			fmt.Fprintf(&b, "---\nname: t%d\nspec: {port: %d}\n", i, i)
		}
	}
	data := []byte(b.String())
	src := NewSource(File{Path: "in.yaml", Data: data})
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var eager, lazy []Origin
	for index := 0; ; index++ {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			break
		}
		eager = append(eager, NewOrigin("in.yaml", index, doc.Content[0]))
		lazy = append(lazy, src.Origin(index, &doc))
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i, o := range lazy {
				for _, p := range []Path{{"spec", "port"}, {"name"}} {
					want := eager[i].Locate(SeverityError, CodeSchema, p, "x")
					if got := o.Locate(SeverityError, CodeSchema, p, "x"); got.String() != want.String() || got.Index != i {
						t.Errorf("document %d: %s, want %s", i, got, want)
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestZeroOrigin locates nothing.
func TestZeroOrigin(t *testing.T) {
	for _, o := range []Origin{{}, NewOrigin("in.yaml", 0, nil)} {
		if line, column := o.Position(Path{"spec"}); line != 0 || column != 0 {
			t.Errorf("%+v: at %d:%d", o, line, column)
		}
	}
}
