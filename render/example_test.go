package render_test

import (
	"fmt"
	"log"
	"path"

	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// A spec as a program would hold it: a Mesh with only its required fields
// and a Tenant, in one in-memory file.
const spec = `apiVersion: meshwright.dev/v1alpha1
kind: Mesh
metadata: {name: platform}
spec:
  domain: example.com
  controlPlane:
    hub: registry.example.com/istio
    revisions: [{version: 1.30.2}]
---
apiVersion: meshwright.dev/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces: [{name: shop}]
`

// Validate a spec, render it and encode an object, as `meshwright render`
// does. Only the Tenant's objects are listed here: the Mesh's grow with
// every feature meshwright gains.
func Example() {
	in, err := load.Parse(schema.File{Path: "spec.yaml", Data: []byte(spec)})
	if err != nil {
		log.Fatal(err) // a schema.Errors: every problem, located in the input
	}
	objs, diags := render.Render(in)
	if err := diags.Err(); err != nil {
		log.Fatal(err)
	}
	var namespace render.Object
	for _, o := range objs {
		if o.GetAnnotations()[render.AnnotationSource] != "Tenant/shop" {
			continue
		}
		fmt.Println(render.Kind(o), path.Join(o.GetNamespace(), o.GetName()))
		if render.Kind(o) == "Namespace" {
			namespace = o
		}
	}
	yaml, err := encode.Object(namespace) // encode.Stream writes them all
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", yaml)
	// Output:
	// Namespace shop
	// AuthorizationPolicy shop/allow-nothing
	// Sidecar shop/default
	// NetworkPolicy shop/deny-by-default
	// apiVersion: v1
	// kind: Namespace
	// metadata:
	//   annotations:
	//     meshwright.dev/source: Tenant/shop
	//   labels:
	//     app.kubernetes.io/managed-by: meshwright
	//     istio.io/rev: 1-30-2
	//     meshwright.dev/tenant: shop
	//   name: shop
}
