package jsonschema_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/meshwright/meshwright/schema/jsonschema"
)

// JSONSchema is the JSON Schema `meshwright schema` prints, generated from
// the CUE definitions: editors and pipelines validate with it.
func ExampleJSONSchema() {
	data, err := jsonschema.JSONSchema()
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
