package conformance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestDeployedGatewaysTakeTheMeshOptions: what istiod's deployment
// controller makes of the gateway-api example's Gateways carries what the
// Mesh says of them (service type and annotations, autoscaling, resources,
// the rolling strategy, the pods' labels and identity) and nothing of the
// Gateway's own metadata.
func TestDeployedGatewaysTakeTheMeshOptions(t *testing.T) {
	bin := istioctl(t)
	const tree = "../../examples/gateway-api/after/rendered"
	rendered, err := ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(rendered)
	for _, f := range generatedManifests(t, bin, tree) {
		objs = append(objs, installed(f.manifest)...)
	}
	deployed, err := DeployedGateways(t, objs, meshConfig(t, bin, tree))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*unstructured.Unstructured{}
	for _, o := range deployed {
		byKey[o.GetKind()+" "+namespacedName(o)] = o
	}
	want := []struct {
		object string
		path   []string
		value  any
	}{
		{"Service istio-ingress/public-istio", []string{"spec", "type"}, "LoadBalancer"},
		{"Service istio-ingress/public-istio", []string{"metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-type"}, "nlb"},
		{"Service istio-egress/egress-istio", []string{"spec", "type"}, "ClusterIP"},
		{"HorizontalPodAutoscaler istio-ingress/public-istio", []string{"spec", "minReplicas"}, int64(2)},
		{"HorizontalPodAutoscaler istio-ingress/public-istio", []string{"spec", "maxReplicas"}, int64(10)},
		{"HorizontalPodAutoscaler istio-ingress/public-istio", []string{"spec", "scaleTargetRef", "name"}, "public-istio"},
		{"HorizontalPodAutoscaler istio-egress/egress-istio", []string{"spec", "maxReplicas"}, int64(5)},
		{"Deployment istio-ingress/public-istio", []string{"spec", "strategy", "rollingUpdate", "maxSurge"}, "100%"},
		{"Deployment istio-ingress/public-istio", []string{"spec", "template", "spec", "serviceAccountName"}, "public-istio"},
		{"Deployment istio-ingress/public-istio", []string{"spec", "template", "metadata", "labels", "istio"}, "public"},
		{"Deployment istio-ingress/public-istio", []string{"spec", "template", "metadata", "labels", "app.kubernetes.io/managed-by"}, nil},
		{"Deployment istio-ingress/public-istio", []string{"metadata", "annotations", "networking.istio.io/service-type"}, nil},
		{"Deployment istio-egress/egress-istio", []string{"spec", "template", "metadata", "labels", "istio"}, "egress"},
	}
	for _, w := range want {
		o := byKey[w.object]
		if o == nil {
			t.Errorf("%s: not deployed (deployed: %v)", w.object, slices.Sorted(maps.Keys(byKey)))
			continue
		}
		got, found, _ := unstructured.NestedFieldNoCopy(o.Object, w.path...)
		if !found {
			got = nil
		}
		if fmt.Sprint(got) != fmt.Sprint(w.value) {
			t.Errorf("%s %v: %v, want %v", w.object, w.path, got, w.value)
		}
	}
	requests, _, _ := unstructured.NestedSlice(byKey["Deployment istio-ingress/public-istio"].Object, "spec", "template", "spec", "containers")
	found := false
	for _, c := range requests {
		if m := mapOf(c); m["name"] == "istio-proxy" {
			cpu, _, _ := unstructured.NestedString(m, "resources", "requests", "cpu")
			found = cpu == "500m"
		}
	}
	if !found {
		t.Errorf("the public gateway's istio-proxy container does not request the Mesh's 500m CPU")
	}
}

// TestDeployedGatewaysRefuseBrokenOptions: options istiod's deployment
// controller cannot apply (a key it does not know) leave the Gateway
// undeployed, which DeployedGateways reports.
func TestDeployedGatewaysRefuseBrokenOptions(t *testing.T) {
	bin := istioctl(t)
	const tree = "../../examples/gateway-api/after/rendered"
	rendered, err := ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(rendered)
	for _, f := range generatedManifests(t, bin, tree) {
		objs = append(objs, installed(f.manifest)...)
	}
	for i, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == "public-options" {
			broken := o.DeepCopy()
			hpa, _, _ := unstructured.NestedString(broken.Object, "data", "horizontalPodAutoscaler")
			unstructured.RemoveNestedField(broken.Object, "data", "horizontalPodAutoscaler")
			_ = unstructured.SetNestedField(broken.Object, hpa, "data", "hpa")
			objs[i] = broken
		}
	}
	old := deployTimeout
	deployTimeout = 3 * time.Second
	defer func() { deployTimeout = old }()
	_, err = DeployedGateways(t, objs, meshConfig(t, bin, tree))
	if err == nil || !strings.Contains(err.Error(), "gateway istio-ingress/public: istiod's deployment controller applied no") {
		t.Fatalf("got %v, want the public gateway reported undeployed", err)
	}
}
