package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/schema"
)

// agreeWithYAMLv3 checks fastDocuments against yaml.v3 on data: when it
// reads the file, yaml.v3 must read it without a problem into the same
// values, and every path of them must be located at the same line and
// column (diagnostics point there). It tells whether fastDocuments read it.
func agreeWithYAMLv3(t testing.TB, name string, data []byte) bool {
	t.Helper()
	fast, ok := fastDocuments(data)
	if !ok {
		return false
	}
	want, diags := yamlDocuments(schema.NewSource(schema.File{Path: name, Data: data}), name, data)
	if len(diags) > 0 {
		t.Fatalf("%s: fastDocuments read what yaml.v3 refuses (%v):\n%s", name, diags[0], data)
	}
	if len(fast) != len(want) {
		t.Fatalf("%s: %d documents, yaml.v3 reads %d:\n%s", name, len(fast), len(want), data)
	}
	src := schema.NewSource(schema.File{Path: name, Data: data})
	for i, f := range fast {
		if !reflect.DeepEqual(f.value, want[i].value) {
			t.Fatalf("%s document %d:\n got %#v\nwant %#v\n%s", name, i, f.value, want[i].value, data)
		}
		got := src.OriginAt(i, f.line, f.rootLine, f.rootColumn)
		for _, path := range append(leafPaths(f.value, nil), nil) {
			gl, gc := got.Position(path)
			wl, wc := want[i].Position(path)
			if gl != wl || gc != wc {
				t.Fatalf("%s document %d: %s at %d:%d, yaml.v3 places it at %d:%d\n%s", name, i, path, gl, gc, wl, wc, data)
			}
		}
	}
	return true
}

// leafPaths lists the paths of v's scalars and empty collections.
func leafPaths(v any, at schema.Path) []schema.Path {
	var paths []schema.Path
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			paths = append(paths, leafPaths(e, at.Child(k))...)
		}
	case []any:
		for i, e := range t {
			paths = append(paths, leafPaths(e, at.Child(i))...)
		}
	}
	if len(paths) == 0 && at != nil {
		paths = append(paths, at)
	}
	return paths
}

// corpusFiles is every input file of the repository (the examples, the
// golden and invalid cases) and specgen platforms of every shape.
func corpusFiles(t testing.TB) []schema.File {
	var files []schema.File
	for _, pattern := range []string{"../../examples/*/spec/*.yaml", "../../examples/*/spec/*/*.yaml", "../../testdata/invalid/*/*.yaml", "../../testdata/golden/*/spec/*.yaml", "../../testdata/golden/*/spec/*/*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, schema.File{Path: p, Data: data})
		}
	}
	for seed := int64(0); seed < 6; seed++ {
		for _, f := range specgen.Files(specgen.Options{Tenants: 4, Services: 5, Seed: seed}) {
			files = append(files, schema.File{Path: fmt.Sprintf("specgen-%d/%s", seed, f.Path), Data: f.Data})
		}
	}
	return files
}

// TestFastYAMLIsYAMLv3 holds fastDocuments to yaml.v3 over the corpus, and
// requires it to read every specgen Tenant file (what platforms at scale
// are made of) and most of the repository's files. A Mesh, one file per
// platform, may take yaml.v3: quantities (100Mi) and durations (720h) are
// not read directly.
func TestFastYAMLIsYAMLv3(t *testing.T) {
	read, total := 0, 0
	for _, f := range corpusFiles(t) {
		ok := agreeWithYAMLv3(t, f.Path, f.Data)
		if !ok && strings.HasPrefix(f.Path, "specgen") && strings.Contains(f.Path, "/tenants/") {
			t.Errorf("%s: not read directly", f.Path)
		}
		if ok {
			read++
		}
		total++
	}
	if read < total/2 {
		t.Errorf("read %d of %d files directly: want most", read, total)
	}
	t.Logf("read %d of %d files directly", read, total)
}

// TestFastYAMLConstructs names what fastDocuments reads and what it leaves
// to yaml.v3, each held to yaml.v3.
func TestFastYAMLConstructs(t *testing.T) {
	cases := []struct {
		name, yaml string
		read       bool
	}{
		{"block mapping", "a: b\nc: 1\n", true},
		{"nested mappings", "a:\n  b:\n    c: d\n  e: f\n", true},
		{"sequence under a key", "a:\n  - x\n  - y\n", true},
		{"sequence at the key's indentation", "a:\n- x\n- y\nb: c\n", true},
		{"mappings in a sequence", "a:\n  - b: 1\n    c: 2\n  - b: 3\n", true},
		{"wider item indentation", "a:\n  -   b: 1\n      c: 2\n", true},
		{"null values", "a:\nb: null\nc: ~\nd:\n  -\n  - x\n", false},
		{"null spelled out", "a:\nb: null\nc: Null\nd:\n  -\n  - x\n", true},
		{"booleans and integers", "a: true\nb: False\nc: 8000\nd: -5\ne: 0\n", true},
		{"yes and no are strings to yaml.v3", "a: yes\nb: off\n", true},
		{"quoted scalars", "a: \"true\"\nb: '8000'\n'c d': \"e # f\"\n", true},
		{"flow collections", "a: {kind: Group, name: x}\nb: [{prefix: /api}, {exact: /health}]\nc: []\nd: {}\ne: [\"true\", 'x']\n", true},
		{"comments", "# head\na: b # tail\n\n# between\nc: [d] # tail\n", true},
		{"documents", "# head\na: 1\n---\nb: 2\n---\n# c\n  c: 3\n", true},
		{"leading separator", "---\na: 1\n", true},
		{"strings with colons and spaces", "a: https://example.com:8443/x\nb: hello world\nc: meshwright.dev/v1alpha1\n", true},
		{"leading zeros", "a: 0123\n", false},
		{"floats", "a: 1.5\n", false},
		{"hex", "a: 0x1F\n", false},
		{"big integers", "a: 9223372036854775808\n", false},
		{"dates", "a: 2001-12-14\n", false},
		{"odd cases of true", "a: tRUE\n", true},
		{"anchors and aliases", "a: &x b\nc: *x\n", false},
		{"tags", "a: !!str 1\n", false},
		{"block scalars", "a: |\n  b\n", false},
		{"multi-line plain scalars", "a: b\n  c\n", false},
		{"multi-line flow", "a: [b,\n  c]\n", false},
		{"escapes", "a: \"b\\nc\"\n", false},
		{"escaped single quotes", "a: 'it''s'\n", false},
		{"tabs", "a:\tb\n", false},
		{"non-ASCII", "a: é\n", false},
		{"duplicate keys", "a: 1\na: 2\n", false},
		{"duplicate flow keys", "a: {b: 1, b: 2}\n", false},
		{"a scalar document", "a\n", false},
		{"a sequence document", "- a\n", false},
		{"an empty document", "a: 1\n---\n---\nb: 2\n", false},
		{"a trailing separator", "a: 1\n---\n", false},
		{"document end", "a: 1\n...\n", false},
		{"directives", "%YAML 1.2\n---\na: 1\n", false},
		{"complex keys", "? a\n: b\n", false},
		{"merge keys", "<<: {a: 1}\n", false},
		{"bad indentation", "a:\n    b: 1\n  c: 2\n", false},
		{"compact nested sequences", "a:\n- - b\n", false},
		{"trailing comma", "a: [b, ]\n", false},
		{"key without space", "a:b\n", false},
		{"an item among entries", "a: 1\n- b\n", false},
		{"empty file", "", false},
		{"comments only", "# a\n", false},
		{"carriage returns", "a: 1\r\nb: 2\r\n", false},
		{"value after the flow", "a: [b] c\n", false},
		{"a key of 1,000 characters", strings.Repeat("k", 1000) + ": v\n", true},
		{"a key past YAML's 1,024 characters", strings.Repeat("k", 1025) + ": v\n", false},
		{"a quoted key past 1,024 characters", `"` + strings.Repeat("k", 1025) + `": v` + "\n", false},
		{"a flow key past 1,024 characters", "a: {" + strings.Repeat("k", 1025) + ": v}\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if read := agreeWithYAMLv3(t, "case.yaml", []byte(c.yaml)); read != c.read {
				t.Errorf("read %v, want %v", read, c.read)
			}
		})
	}
}

// TestFastYAMLMutations holds fastDocuments to yaml.v3 over edits of every
// line of the examples and a specgen platform: characters that
// mean something in YAML put in at each line's start, middle and end, a
// character taken out, the indentation changed, lines swapped.
func TestFastYAMLMutations(t *testing.T) {
	inserts := []string{" ", "  ", "#", " #", ":", ": ", "- ", "-", "'", "\"", "[", "]", "{", "}", ",", ", ", "&a ", "*a", "!!str ", "|", "---", "0", "1.5", "true", "~", "null", "\t", "? ", "<<: ", "%", "@", "`"}
	edited, read := 0, 0
	for _, f := range corpusFiles(t) {
		if !strings.Contains(f.Path, "/examples/") && !strings.HasPrefix(f.Path, "specgen-1/") {
			continue
		}
		lines := strings.SplitAfter(string(f.Data), "\n")
		for i, line := range lines {
			var variants []string
			for _, at := range []int{0, len(line) / 2, max(len(line)-1, 0)} {
				for _, ins := range inserts {
					variants = append(variants, line[:at]+ins+line[at:])
				}
				if at < len(line) {
					variants = append(variants, line[:at]+line[at+1:])
				}
			}
			variants = append(variants, " "+line, "  "+line, strings.TrimPrefix(line, " "), strings.TrimPrefix(line, "  "), "")
			if i+1 < len(lines) {
				variants = append(variants, lines[i+1]+line)
			}
			for _, v := range variants {
				mutated := strings.Join(lines[:i], "") + v + strings.Join(lines[i+1:], "")
				if i+1 < len(lines) && v == lines[i+1]+line {
					mutated = strings.Join(lines[:i], "") + v + strings.Join(lines[i+2:], "")
				}
				if agreeWithYAMLv3(t, f.Path, []byte(mutated)) {
					read++
				}
				edited++
			}
		}
	}
	t.Logf("%d edits, %d read directly", edited, read)
	if read < edited/10 {
		t.Errorf("read %d of %d edits directly: the comparison is mostly vacuous", read, edited)
	}
}

// FuzzFastYAML holds fastDocuments to yaml.v3 on arbitrary input, seeded
// with the corpus.
func FuzzFastYAML(f *testing.F) {
	for _, file := range corpusFiles(f) {
		f.Add(file.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		agreeWithYAMLv3(t, "fuzz.yaml", data)
	})
}
