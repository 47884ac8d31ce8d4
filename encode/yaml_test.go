package encode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/internal/testspec"
	"github.com/meshwright/meshwright/render"
)

// trickyStrings are strings a YAML parser could read as something else, or
// fail on, when written plain.
var trickyStrings = []string{
	"", "yes", "no", "on", "off", "y", "N", "true", "False", "null", "~", "NULL", "YES", "oN", "tRUE", "nULL", "Ofd",
	"/", "/api", "//x", "/1", "/-", "/.", "a:b", "a:", "a::b", "a:1", "a:b:c", "spiffe://cluster.local/ns/a/sa/b",
	"meshwright:tenant-edge:team-0001", "y:", "on:off", "a:-", "a:/", "/:", "a:.",
	"1:20", "1_000", "0x1F", "0o17", "017", "1e3", ".inf", "-.Inf", ".nan", "1.5", "-1", "+1",
	"-", "- a", "a: b", "a:", "a #b", "#a", "*", "*a", "&a", "!a", "!!str", "|", ">", "'", "\"", "%", "@", "`",
	" lead", "trail ", "multi\nline", "tab\there", "é", "日本", "\x00", "\x7f",
	"1.30", "1.30.2", "1-30-2", "=", "<<", "[a]", "{a}", "a,b", "a, b", "?", "? a", ",a", "a]",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "http://x.example.com:8080/a?b=c#d", "request.auth.claims[groups]",
	"^/api/v[0-9]+/orders$", "100%", "docker/default,runtime/default", "key encipherment",
	// multi-line: literal blocks where they read back the same, quoted otherwise
	"spec:\n  replicas: 2\n", "a\n\nb\n", "a\nb", "a\nb\n\n", " a\nb\n", "\na\nb\n", "a\n  b\n\tc\n",
	"a \nb  \n", "- a\n- b\n", "# not a comment\n#\n", "a: |\n  b\n", "\"\n'\n", "a\r\nb\n", "key: value\n---\nx\n",
}

// TestTrickyStringsRoundTrip writes each string as a key, a value and a list
// item, and reads the document back with YAML 1.2 and YAML 1.1 parsers.
func TestTrickyStringsRoundTrip(t *testing.T) {
	for _, s := range trickyStrings {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			doc := map[string]any{
				"value": s,
				"list":  []any{s, map[string]any{"k": s}},
				s:       "key",
			}
			assertRoundTrip(t, doc)
		})
	}
}

// TestShapesRoundTrip covers the layouts: nesting, empty collections,
// lists of lists, scalars of every type.
func TestShapesRoundTrip(t *testing.T) {
	docs := map[string]map[string]any{
		"empty collections": {"m": map[string]any{}, "l": []any{}, "in list": []any{map[string]any{}, []any{}}},
		"nested lists":      {"l": []any{[]any{"a", []any{"b"}}, []any{map[string]any{"x": int64(1), "y": []any{}}}}},
		"maps in lists":     {"l": []any{map[string]any{"a": int64(1), "b": map[string]any{"c": []any{"d"}}}}},
		"scalars":           {"t": true, "f": false, "n": nil, "i": int64(-42), "big": int64(1) << 60, "x": 0.25, "e": 1e21},
	}
	deep := map[string]any{"leaf": []any{"a", map[string]any{"b": "c"}}}
	for range 40 { // indented past the writer's run of spaces
		deep = map[string]any{"k": deep}
	}
	docs["deeply nested"] = deep
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) { assertRoundTrip(t, doc) })
	}
}

func assertRoundTrip(t *testing.T, doc map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if err := writeValue(&b, doc); err != nil {
		t.Fatal(err)
	}
	want := canonical(t, doc)
	var v3 any
	if err := yaml.Unmarshal(b.Bytes(), &v3); err != nil {
		t.Fatalf("YAML 1.2 parser: %v\n%s", err, b.String())
	}
	if got := canonical(t, v3); !reflect.DeepEqual(got, want) {
		t.Errorf("YAML 1.2 reads back\n%v\nwant\n%v\nfrom\n%s", got, want, b.String())
	}
	var v2 any
	if err := yamlv2.Unmarshal(b.Bytes(), &v2); err != nil {
		t.Fatalf("YAML 1.1 parser: %v\n%s", err, b.String())
	}
	if got := canonical(t, stringKeys(v2)); !reflect.DeepEqual(got, want) {
		t.Errorf("YAML 1.1 reads back\n%v\nwant\n%v\nfrom\n%s", got, want, b.String())
	}
}

// canonical passes v through JSON so both parsers' and the input's number
// types compare equal.
func canonical(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stringKeys converts YAML 1.1's map[interface{}]interface{} for JSON.
func stringKeys(v any) any {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = stringKeys(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = stringKeys(x)
		}
	}
	return v
}

// TestExamplesRoundTrip encodes every object of every example and golden
// case and reads each back with both parsers.
func TestExamplesRoundTrip(t *testing.T) {
	for _, o := range exampleObjects(t) {
		v, err := Plain(o)
		if err != nil {
			t.Fatal(err)
		}
		assertRoundTrip(t, v)
	}
}

// exampleObjects renders every example and golden case.
func exampleObjects(t *testing.T) []render.Object {
	t.Helper()
	var objs []render.Object
	for _, dir := range testspec.SpecDirs(t, "..") {
		files, err := meshwright.ReadFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		rendered, diags := meshwright.Render(files)
		if err := diags.Err(); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, rendered...)
	}
	if len(objs) < 100 {
		t.Fatalf("only %d example objects", len(objs))
	}
	return objs
}
