package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// compileJSONSchema compiles the generated schema with a real validator,
// which also checks it against the draft 2020-12 meta-schema.
func compileJSONSchema(t *testing.T, data []byte, ref string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("generated schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("meshwright.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("meshwright.json" + ref)
	if err != nil {
		t.Fatalf("generated schema does not compile: %v", err)
	}
	return s
}

// specDocuments reads every YAML document of the example and golden specs
// that is a meshwright input, keyed by "file#index".
func specDocuments(t *testing.T) map[string]any {
	t.Helper()
	docs := map[string]any{}
	for _, root := range []string{"../../examples", "../../testdata/golden"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isSpecFile(path) {
				return err
			}
			return readDocuments(path, docs)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

func isSpecFile(path string) bool {
	ext := filepath.Ext(path)
	return (ext == ".yaml" || ext == ".yml") && slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "spec")
}

// readDocuments adds each meshwright document of a file as JSON-shaped data
// (numbers as json.Number, the way the validator reads JSON).
func readDocuments(path string, docs map[string]any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if doc["apiVersion"] != schema.APIVersion {
			continue
		}
		docs[fmt.Sprintf("%s#%d", path, i)], err = asJSON(doc)
		if err != nil {
			return err
		}
	}
}

func asJSON(doc any) (any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

func TestJSONSchemaAcceptsEverySpec(t *testing.T) {
	data, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	s := compileJSONSchema(t, data, "")
	kinds := map[string]int{}
	for name, doc := range specDocuments(t) {
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: valid spec rejected by the JSON Schema:\n%v", name, err)
		}
		kinds[doc.(map[string]any)["kind"].(string)]++
	}
	if kinds[schema.KindMesh] < 3 || kinds[schema.KindTenant] < 3 {
		t.Fatalf("too few spec documents found (%v): the test would prove nothing", kinds)
	}
	t.Logf("validated %d Mesh and %d Tenant documents", kinds[schema.KindMesh], kinds[schema.KindTenant])
}

const (
	validMesh = `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata: {name: platform}
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions: [{version: 1.30.2}]
`
	validTenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces: [{name: shop}]
  services:
    - name: web
      port: 8080
      ingress: {tls: SIMPLE}
`
)

// invalidDocuments are small edits of the valid documents, each a mistake
// a user makes, that CUE rejects.
var invalidDocuments = []struct{ name, mesh, tenant string }{
	{"unknown field", validMesh + "  colour: blue\n", validTenant},
	{"unknown nested field", strings.Replace(validMesh, "{version: 1.30.2}", "{version: 1.30.2, channel: x}", 1), validTenant},
	{"bad enum", validMesh, strings.Replace(validTenant, "tls: SIMPLE", "tls: STRICT", 1)},
	{"missing required field", strings.Replace(validMesh, "  domain: example.com\n", "", 1), validTenant},
	{"missing required list", validMesh, strings.Replace(validTenant, "  namespaces: [{name: shop}]\n", "", 1)},
	{"empty required list", validMesh, strings.Replace(validTenant, "[{name: shop}]", "[]", 1)},
	{"pattern", strings.Replace(validMesh, "name: platform", "name: Platform", 1), validTenant},
	{"maximum", validMesh, strings.Replace(validTenant, "port: 8080", "port: 70000", 1)},
	{"wrong type", validMesh + "  kubernetesVersion: 1.30\n", validTenant},
	{"unknown kind", strings.Replace(validMesh, "kind: Mesh", "kind: Cluster", 1), validTenant},
}

func TestJSONSchemaRejectsInvalidDocuments(t *testing.T) {
	data, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	s := compileJSONSchema(t, data, "")
	for _, doc := range []string{validMesh, validTenant} {
		if err := s.Validate(yamlDocument(t, doc)); err != nil {
			t.Fatalf("the base document is rejected, so the cases below would prove nothing:\n%s\n%v", doc, err)
		}
	}
	for _, tc := range invalidDocuments {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load.Parse(schema.File{Path: "mesh.yaml", Data: []byte(tc.mesh)}, schema.File{Path: "tenant.yaml", Data: []byte(tc.tenant)}); err == nil {
				t.Fatal("CUE accepts the case: it is no mistake")
			}
			mesh, tenant := s.Validate(yamlDocument(t, tc.mesh)), s.Validate(yamlDocument(t, tc.tenant))
			if mesh == nil && tenant == nil {
				t.Error("the JSON Schema accepts what CUE rejects")
			}
		})
	}
}

func yamlDocument(t *testing.T, text string) any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	j, err := asJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestJSONSchemaCarriesCUEAnnotations spot-checks what an editor shows: the
// comment, the default and the enum of a field, as the CUE schema says.
func TestJSONSchemaCarriesCUEAnnotations(t *testing.T) {
	data, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	cp := lookup(t, root, "$defs", "Mesh", "properties", "spec", "properties", "controlPlane")
	version := lookup(t, root, "$defs", "Mesh", "properties", "spec", "properties", "kubernetesVersion")
	if version["default"] != "1.30" || !strings.Contains(version["description"].(string), "MAJOR.MINOR") {
		t.Errorf("kubernetesVersion lost its default or comment: %v", version)
	}
	policy := lookup(t, cp, "properties", "outboundTrafficPolicy")
	if policy["default"] != "REGISTRY_ONLY" || len(policy["enum"].([]any)) != 2 {
		t.Errorf("outboundTrafficPolicy lost its default or enum: %v", policy)
	}
	if _, has := lookup(t, cp, "properties", "defaultRevision")["default"]; has {
		t.Error("defaultRevision has a default, but it depends on the document (revisions[0].name)")
	}
	if cp["additionalProperties"] != false {
		t.Error("a closed CUE struct must not accept other fields")
	}
}

func lookup(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no %q in the schema (at %v)", k, keys)
		}
		m = next
	}
	return m
}

func TestJSONSchemaIsStable(t *testing.T) {
	a, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two generations differ")
	}
}

func TestOpenAPIComponentsValidate(t *testing.T) {
	data, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	mesh := compileJSONSchema(t, data, "#/components/schemas/Mesh")
	tenant := compileJSONSchema(t, data, "#/components/schemas/Tenant")
	if err := mesh.Validate(yamlDocument(t, validMesh)); err != nil {
		t.Error(err)
	}
	if err := tenant.Validate(yamlDocument(t, validMesh)); err == nil {
		t.Error("the Tenant schema accepts a Mesh")
	}
}

// TestJSONSchemaConstructs runs the generator over CUE constructs that have
// no JSON Schema form, each in a schema of its own so the test does not
// depend on how schema/*.cue uses them today: generation must not fail,
// accept what CUE accepts and still check what it can.
func TestJSONSchemaConstructs(t *testing.T) {
	for _, tc := range []struct {
		name, cue      string
		accept, reject []string
		noDefaultAt    string // a property whose default depends on the document
	}{{
		name:        "default from a list index",
		cue:         `#X: close({names: [...string], first: *names[0] | =~"^[a-z]+$"})`,
		accept:      []string{`{"names": ["a"], "first": "b"}`, `{}`},
		reject:      []string{`{"first": "B"}`},
		noDefaultAt: "first",
	}, {
		name: "default from a comprehension",
		cue: `import "strings"
#X: close({host!: string, location: *[if strings.HasSuffix(host, ".local") {"cluster"}, "external"][0] | "cluster" | "external"})`,
		accept:      []string{`{"host": "a.local", "location": "external"}`, `{"host": "a"}`},
		reject:      []string{`{"host": "a", "location": "moon"}`, `{"location": "cluster"}`},
		noDefaultAt: "location",
	}, {
		name:   "closed struct default",
		cue:    `#X: close({labels: *close({a: "b"}) | {[string]: string}})`,
		accept: []string{`{"labels": {"c": "d"}}`, `{}`},
		reject: []string{`{"labels": {"c": 1}}`, `{"other": 1}`},
	}, {
		name:        "default from a sibling",
		cue:         `#X: close({a: *"x" | string, b: *a | =~"^[a-z]$"})`,
		accept:      []string{`{"a": "yy", "b": "z"}`},
		reject:      []string{`{"b": "zz"}`},
		noDefaultAt: "b",
	}, {
		name:   "default from a hidden field",
		cue:    `#X: {_t: "B", kind: *_t | "A" | "B" | "C"}`,
		accept: []string{`{"kind": "A"}`, `{"kind": "B"}`, `{"kind": "C"}`},
		reject: []string{`{"kind": "D"}`},
	}, {
		name: "builtin without a JSON Schema form",
		cue: `import "strings"
#X: close({a: strings.HasPrefix("x") & strings.MaxRunes(3)})`,
		accept: []string{`{"a": "xy"}`},
		reject: []string{`{"a": "xyzzy"}`, `{"a": 1}`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := cuecontext.New()
			v := ctx.CompileString(tc.cue).LookupPath(cue.ParsePath("#X"))
			if err := v.Err(); err != nil {
				t.Fatal(err)
			}
			gen := schemaOf(v, 0)
			gen["$schema"] = jsonSchemaDialect
			data, err := json.Marshal(gen)
			if err != nil {
				t.Fatal(err)
			}
			s := compileJSONSchema(t, data, "")
			for _, doc := range tc.accept {
				if err := s.Validate(jsonDocument(t, doc)); err != nil {
					t.Errorf("%s rejected by %s:\n%v", doc, data, err)
				}
			}
			for _, doc := range tc.reject {
				if s.Validate(jsonDocument(t, doc)) == nil {
					t.Errorf("%s accepted by %s", doc, data)
				}
			}
			if tc.noDefaultAt != "" {
				if _, has := lookup(t, gen, "properties", tc.noDefaultAt)["default"]; has {
					t.Errorf("%s has a default, but it depends on the document: %s", tc.noDefaultAt, data)
				}
			}
		})
	}
}

func jsonDocument(t *testing.T, text string) any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
