package meshwright_test

import (
	"fmt"
	"log"
	"os"

	"github.com/meshwright/meshwright"
	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/schema"
)

// Render a spec as `meshwright render` does: read the files, validate and
// render them in one call, then write the objects with package encode.
func Example() {
	files, err := meshwright.ReadFiles("testdata/golden/minimal/spec") // or []schema.File{{Path, Data}} from memory
	if err != nil {
		log.Fatal(err)
	}
	objs, diags := meshwright.Render(files)
	for _, d := range diags {
		fmt.Fprintln(os.Stderr, d) // file:line:col: field.path: message [MW0100]
	}
	if diags.Err() != nil {
		os.Exit(1) // nothing is rendered when any diagnostic is an error
	}
	out, err := encode.Stream(objs) // or encode.WriteTree(dir, objs): one file per object
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(objs) > 0, len(out) > 0)
	// Output: true true
}

// Every problem comes back at once, each located in its file and carrying
// a stable code (docs/diagnostics.md).
func ExampleRender_errors() {
	const tenant = `apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces:
    - nmae: shop
`
	_, diags := meshwright.Render([]schema.File{{Path: "tenants/shop.yaml", Data: []byte(tenant)}})
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// tenants/shop.yaml:6:7: spec.namespaces[0].name: field is required but not present [MW0101]
	// tenants/shop.yaml:6:7: spec.namespaces[0].nmae: field not allowed [MW0100]
}
