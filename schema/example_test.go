package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/meshwright/meshwright/schema"
)

// Load reads files and directories, validates every document against the
// CUE schema and fills in the defaults.
func ExampleLoad() {
	spec, err := schema.Load("../testdata/golden/minimal/spec")
	if err != nil {
		log.Fatal(err)
	}
	cp := spec.Mesh.Spec.ControlPlane
	fmt.Println("mesh:", spec.Mesh.Metadata.Name, "in", cp.Namespace)
	fmt.Println("revision:", cp.Revisions[0].Name, "default:", cp.DefaultRevision)
	for _, t := range spec.Tenants {
		fmt.Println("tenant:", t.Metadata.Name, "namespaces:", len(t.Spec.Namespaces))
	}
	// Output:
	// mesh: minimal in istio-system
	// revision: 1-30-2 default: 1-30-2
	// tenant: shop namespaces: 1
}

// Parse validates in-memory files. Its error is a schema.Errors: every
// problem, each located at file:line:col and field path.
func ExampleParse_errors() {
	const tenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces:
    - nmae: shop
`
	_, err := schema.Parse(schema.File{Path: "tenants/shop.yaml", Data: []byte(tenant)})
	var problems schema.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Println(p)
		}
	}
	// Output:
	// tenants/shop.yaml:6:7: spec.namespaces[0].name: field is required but not present
	// tenants/shop.yaml:6:7: spec.namespaces[0].nmae: field not allowed
}

// JSONSchema is the JSON Schema `meshwright schema` prints, generated from
// the CUE definitions: editors and pipelines validate with it.
func ExampleJSONSchema() {
	data, err := schema.JSONSchema()
	if err != nil {
		log.Fatal(err)
	}
	var root struct {
		Dialect string `json:"$schema"`
		OneOf   []struct {
			Ref string `json:"$ref"`
		}
	}
	if err := json.Unmarshal(data, &root); err != nil {
		log.Fatal(err)
	}
	fmt.Println(root.Dialect)
	for _, s := range root.OneOf {
		fmt.Println(s.Ref)
	}
	// Output:
	// https://json-schema.org/draft/2020-12/schema
	// #/$defs/Mesh
	// #/$defs/Tenant
}
