package fn_test

import (
	"bytes"
	"fmt"
	"log"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/meshwright/meshwright/fn"
	"github.com/meshwright/meshwright/render"
)

// Run the function as kpt and kustomize do: a ResourceList in, the same
// list with the rendered objects added. Only the Tenant's objects are listed
// here: the Mesh's grow with every feature meshwright gains.
func Example() {
	const input = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: meshwright.dev/v1alpha1
  kind: Mesh
  metadata: {name: platform}
  spec:
    domain: example.com
    controlPlane:
      hub: registry.example.com/istio
      revisions: [{version: 1.30.2}]
- apiVersion: meshwright.dev/v1alpha1
  kind: Tenant
  metadata: {name: shop}
  spec:
    namespaces: [{name: shop}]
`
	var out bytes.Buffer
	rw := &kio.ByteReadWriter{Reader: strings.NewReader(input), Writer: &out, KeepReaderAnnotations: true}
	if err := framework.Execute(fn.Processor{}, rw); err != nil {
		log.Fatal(err) // framework.Results: the output lists them too
	}
	items, err := (&kio.ByteReader{Reader: &out, OmitReaderAnnotations: true}).Read()
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range items {
		if n.GetAnnotations()[render.AnnotationSource] == "Tenant/shop" {
			fmt.Println(n.GetKind(), path.Join(n.GetNamespace(), n.GetName()))
		}
	}
	// Output:
	// Namespace shop
	// AuthorizationPolicy shop/allow-nothing
	// Sidecar shop/default
	// NetworkPolicy shop/deny-by-default
}
