package load_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// Load reads files and directories, validates every document against the
// CUE schema and fills in the defaults.
func ExampleLoad() {
	spec, err := load.Load("../../testdata/golden/minimal/spec")
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
	_, err := load.Parse(schema.File{Path: "tenants/shop.yaml", Data: []byte(tenant)})
	var problems schema.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Println(p)
		}
	}
	// Output:
	// tenants/shop.yaml:6:7: spec.namespaces[0].name: field is required but not present [MW0101]
	// tenants/shop.yaml:6:7: spec.namespaces[0].nmae: field not allowed [MW0100]
}
