package diff_test

import (
	"fmt"
	"os"

	"github.com/meshwright/meshwright/diff"
)

// The second step of the canary upgrade example, from its two specs (a
// rendered tree, a YAML stream or a git revision of either gives the same
// result).
func Example() {
	old, err := diff.Load("../examples/canary-upgrade/before/spec")
	if err != nil {
		panic(err)
	}
	new, err := diff.Load("../examples/canary-upgrade/after/spec")
	if err != nil {
		panic(err)
	}
	result, err := diff.Compare(old, new)
	if err != nil {
		panic(err)
	}
	if err := diff.Write(os.Stdout, result, diff.Text); err != nil {
		panic(err)
	}
	fmt.Println("empty:", result.Empty())
	// Output:
	// Mesh/platform: 0 added, 1 changed, 1 removed
	// Tenant/sleep: 0 added, 1 changed, 0 removed
	// Unchanged: Tenant/bookinfo
	//
	// Mesh/platform
	//   removed IstioOperator istio-system/installed-state-1-30-2
	//   changed IstioOperator istio-system/installed-state-1-31-0
	//     ~ spec.components.cni.enabled: false → true
	//     ~ spec.components.ingressGateways[0].enabled: false → true
	//     + spec.components.ingressGateways[0].k8s: {env: […], hpaSpec: {…}, service: {…}, strategy: {…}} (27 values)
	//     + spec.components.ingressGateways[0].label: {istio: ingressgateway}
	//     ~ spec.values.revisionTags[0]: canary → stable
	//
	// Tenant/sleep
	//   changed Namespace sleep
	//     ~ metadata.labels["istio.io/rev"]: canary → stable
	// empty: false
}
