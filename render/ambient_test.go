package render_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"

	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema/load"
)

// TestAmbientTraps renders the ambient example (shop-api: ambient with a
// waypoint; shop-jobs: ambient without one; shop-web: sidecar) and checks
// each trap of moving namespaces to ambient is avoided.
func TestAmbientTraps(t *testing.T) {
	spec, err := load.Load("../examples/ambient/after/spec")
	if err != nil {
		t.Fatal(err)
	}
	objs, diags := render.Render(spec)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	find := func(kind, ns, name string) render.Object {
		for _, o := range objs {
			if render.Kind(o) == kind && o.GetNamespace() == ns && o.GetName() == name {
				return o
			}
		}
		return nil
	}
	ambient := map[string]bool{"shop-api": true, "shop-jobs": true}
	waypoint := map[string]bool{"shop-api": true}

	t.Run("ambient namespaces have no revision label, which would inject sidecars", func(t *testing.T) {
		for _, ns := range []string{"shop-web", "shop-api", "shop-jobs"} {
			l := find("Namespace", "", ns).GetLabels()
			if got := l["istio.io/dataplane-mode"] == "ambient"; got != ambient[ns] {
				t.Errorf("%s: dataplane-mode ambient %v, want %v", ns, got, ambient[ns])
			}
			if _, rev := l["istio.io/rev"]; rev == ambient[ns] {
				t.Errorf("%s: istio.io/rev present %v with ambient %v", ns, rev, ambient[ns])
			}
			if got := l["istio.io/use-waypoint"] == "waypoint" && l["istio.io/ingress-use-waypoint"] == "true"; got != waypoint[ns] {
				t.Errorf("%s: uses its waypoint (also from ingress) %v, want %v", ns, got, waypoint[ns])
			}
			if got := find("Gateway", ns, "waypoint") != nil; got != waypoint[ns] {
				t.Errorf("%s: waypoint Gateway %v, want %v", ns, got, waypoint[ns])
			}
		}
	})
	t.Run("no Sidecar resource where it does not apply", func(t *testing.T) {
		for _, ns := range []string{"shop-web", "shop-api", "shop-jobs"} {
			if got := find("Sidecar", ns, "default") != nil; got == ambient[ns] {
				t.Errorf("%s: Sidecar %v with ambient %v", ns, got, ambient[ns])
			}
		}
	})
	t.Run("ztunnel gets no policy with L7 rules, which it would drop", func(t *testing.T) {
		for _, o := range objs {
			ap, ok := o.(*securityv1.AuthorizationPolicy)
			if !ok || !ambient[ap.Namespace] || len(ap.Spec.TargetRefs) > 0 {
				continue
			}
			for _, r := range ap.Spec.Rules {
				b, _ := json.Marshal(r)
				for _, l7 := range []string{`"when"`, `requestPrincipals`, `"paths"`, `"methods"`, `"hosts"`} {
					if strings.Contains(string(b), l7) {
						t.Errorf("AuthorizationPolicy %s/%s reaches ztunnel with %s: %s", ap.Namespace, ap.Name, l7, b)
					}
				}
			}
		}
	})
	t.Run("behind a waypoint, service policies bind to the Service and the waypoint is admitted", func(t *testing.T) {
		for _, name := range []string{"orders-allow", "orders-callers"} {
			ap := find("AuthorizationPolicy", "shop-api", name).(*securityv1.AuthorizationPolicy)
			if ap.Spec.Selector != nil || len(ap.Spec.TargetRefs) != 1 || ap.Spec.TargetRefs[0].Kind != "Service" || ap.Spec.TargetRefs[0].Name != "orders" {
				t.Errorf("%s: selector %v, targetRefs %v; want the Service orders", name, ap.Spec.Selector, ap.Spec.TargetRefs)
			}
		}
		if ap := find("AuthorizationPolicy", "shop-jobs", "ledger-callers").(*securityv1.AuthorizationPolicy); ap.Spec.Selector == nil || len(ap.Spec.TargetRefs) > 0 {
			t.Errorf("ledger-callers (no waypoint): want a selector for ztunnel, got %v / %v", ap.Spec.Selector, ap.Spec.TargetRefs)
		}
		// sidecar callers skip the waypoint: ztunnel holds their L4 rule
		if ap, _ := find("AuthorizationPolicy", "shop-api", "orders-at-ztunnel").(*securityv1.AuthorizationPolicy); ap == nil || ap.Spec.Selector == nil || !strings.Contains(fmt.Sprint(ap.Spec.Rules), "cluster.local/ns/shop-web/sa/web") {
			t.Errorf("orders-at-ztunnel: want a selector-bound ALLOW for the sidecar caller web, got %v", ap)
		}
		for _, name := range []string{"allow-nothing-at-waypoint", "allow-waypoint"} {
			if find("AuthorizationPolicy", "shop-api", name) == nil {
				t.Errorf("shop-api: no AuthorizationPolicy %s", name)
			}
		}
		if find("RequestAuthentication", "istio-system", "reqauth-waypoints") == nil {
			t.Errorf("no RequestAuthentication bound to the waypoints: they would not validate the claims' tokens")
		}
	})
	t.Run("NetworkPolicies admit kubelet probes and the HBONE hops", func(t *testing.T) {
		for ns := range ambient {
			np, _ := find("NetworkPolicy", ns, "allow-kubelet-probes").(*k8snetworkingv1.NetworkPolicy)
			if np == nil || np.Spec.Ingress[0].From[0].IPBlock == nil || np.Spec.Ingress[0].From[0].IPBlock.CIDR != "169.254.7.127/32" {
				t.Errorf("%s: no NetworkPolicy admitting the probes' 169.254.7.127: %v", ns, np)
			}
		}
		for _, name := range []string{"allow-to-waypoint", "allow-from-waypoint"} {
			np, _ := find("NetworkPolicy", "shop-api", name).(*k8snetworkingv1.NetworkPolicy)
			if np == nil || np.Spec.Ingress[0].Ports[0].Port.IntValue() != 15008 {
				t.Errorf("shop-api: %s does not admit port 15008: %v", name, np)
			}
		}
	})
	t.Run("the control plane installs ztunnel and the CNI's ambient mode", func(t *testing.T) {
		b, err := json.Marshal(find("IstioOperator", "istio-system", "installed-state-1-31-0"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"ztunnel":{"enabled":true}`, `"ambient":{"enabled":true}`, `"PILOT_ENABLE_AMBIENT"`, `"ISTIO_META_ENABLE_HBONE":"true"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("the IstioOperator lacks %s", want)
			}
		}
	})
}
