package conformance

import (
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshwright/meshwright/schema/load"
)

// TestTrafficPathsCatchBrokenConfigs proves the path checks are not
// vacuous: break one object of a rendered tree's cluster and the checks
// over istiod's generated configuration report the path it opens or closes.
func TestTrafficPathsCatchBrokenConfigs(t *testing.T) {
	bin := istioctl(t)
	const (
		refArch    = "../../examples/reference-architecture/rendered"
		zeroTrust  = "../../examples/zero-trust/rendered"
		gwAPI      = "../../examples/gateway-api/before/rendered"
		gwAPIAfter = "../../examples/gateway-api/after/rendered"
		ambient    = "../../examples/ambient/after/rendered"
		gatewayID  = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
	)
	cases := []struct {
		name, tree string
		mutate     func(*testing.T, []*unstructured.Unstructured) []*unstructured.Unstructured
		want       string
	}{
		{"drop the ingress ALLOW", refArch, remove("AuthorizationPolicy bookinfo/productpage-allow"),
			"ingress: gateway istio-system/istio-ingressgateway -> service bookinfo/productpage: Pod bookinfo/productpage-v1-0 denies " + gatewayID},
		{"drop the same-namespace ALLOW", refArch, remove("AuthorizationPolicy bookinfo/allow-same-namespace"),
			"same-namespace: namespace bookinfo -> service bookinfo/details: Pod bookinfo/details-v1-0 denies spiffe://cluster.local/ns/bookinfo/sa/"},
		{"drop a callers ALLOW", zeroTrust, remove("AuthorizationPolicy inventory/stock-callers"),
			"callers: namespace storefront -> service inventory/stock: Pod inventory/stock-0 denies spiffe://cluster.local/ns/storefront/sa/"},
		{"drop the same-namespace NetworkPolicy", refArch, remove("NetworkPolicy bookinfo/allow-same-namespace"),
			"same-namespace: namespace bookinfo -> service bookinfo/details: no NetworkPolicy of namespace bookinfo admits Pod"},
		{"drop the egress route", refArch, remove("VirtualService sleep/direct-nginx-through-egress-gateway"),
			"egress: namespace sleep -> egress sleep/nginx (my-nginx.mesh-external.svc.cluster.local:443 through istio-system/istio-egressgateway): sidecar sleep/sleep-0 does not route http://my-nginx.mesh-external.svc.cluster.local"},
		{"drop the TLS origination", refArch, remove("DestinationRule istio-system/originate-tls-for-sleep-nginx"),
			"the egress gateway does not originate mutual TLS to my-nginx.mesh-external.svc.cluster.local"},
		{"Sidecar with */*", refArch, edit("Sidecar sleep/default", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(o.Object, []any{map[string]any{"hosts": []any{"*/*"}}}, "spec", "egress")
		}), "not allowed: namespace sleep (service account sleep) -> service bookinfo/productpage: sidecar sleep/sleep-0 sees it: clusters [outbound|9080||productpage.bookinfo.svc.cluster.local"},
		{"ALLOW from every namespace", refArch, add(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all-namespaces, namespace: bookinfo}
spec:
  rules: [{from: [{source: {namespaces: ["*"]}}]}]
`), "not allowed: namespace sleep (service account sleep) -> service bookinfo/details: Pod bookinfo/details-v1-0 admits spiffe://cluster.local/ns/sleep/sa/sleep: allowed"},
		{"zero trust in dry run, not promised", refArch, func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			objs = edit("AuthorizationPolicy bookinfo/allow-nothing", dryRun)(t, objs)
			return edit("AuthorizationPolicy bookinfo/allow-same-namespace", dryRun)(t, objs)
		}, "not allowed: namespace sleep (service account sleep) -> service bookinfo/details: Pod bookinfo/details-v1-0 admits spiffe://cluster.local/ns/sleep/sa/sleep: allowed, denied in dry run"},
		{"NetworkPolicy admitting every namespace", refArch, edit("NetworkPolicy bookinfo/allow-same-namespace", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(o.Object, []any{map[string]any{"from": []any{map[string]any{"namespaceSelector": map[string]any{}}}}}, "spec", "ingress")
		}),
			"not allowed: namespace sleep (service account sleep) -> service bookinfo/details: NetworkPolicies of namespace bookinfo admit Pod sleep/sleep-0 to Pod bookinfo/details-v1-0"},
		{"gateway route to a service not exposed", refArch, edit("VirtualService bookinfo/productpage", func(o *unstructured.Unstructured) {
			http, _, _ := unstructured.NestedSlice(o.Object, "spec", "http")
			route, _ := mapOf(http[0])["route"].([]any)
			mapOf(mapOf(route[0])["destination"])["host"] = "details"
			_ = unstructured.SetNestedSlice(o.Object, http, "spec", "http")
		}), "not allowed: gateway istio-system/istio-ingressgateway -> service bookinfo/details: gateway istio-system/istio-ingressgateway-0 routes to it"},
		{"drop a ListenerSet", gwAPI, remove("ListenerSet storefront/catalog"),
			"ingress: gateway istio-ingress/public -> service storefront/catalog: gateway istio-ingress/public-istio-0"},
		{"ListenerSet with another service's certificate", gwAPIAfter, edit("ListenerSet storefront/catalog", func(o *unstructured.Unstructured) {
			listeners, _, _ := unstructured.NestedSlice(o.Object, "spec", "listeners")
			_ = unstructured.SetNestedSlice(mapOf(listeners[0]), []any{map[string]any{"name": "web-cert"}}, "tls", "certificateRefs")
			_ = unstructured.SetNestedSlice(o.Object, listeners, "spec", "listeners")
		}), "presents Secret storefront/web-cert for catalog.storefront.shop.example.com, a certificate for [web.storefront.shop.example.com]"},
		{"Istio Gateway with another service's certificate", gwAPI, edit("Gateway partners/partner-api-gateway", func(o *unstructured.Unstructured) {
			servers, _, _ := unstructured.NestedSlice(o.Object, "spec", "servers")
			_ = unstructured.SetNestedField(mapOf(servers[0]), "storefront-web-cert", "tls", "credentialName")
			_ = unstructured.SetNestedSlice(o.Object, servers, "spec", "servers")
		}), "presents Secret istio-system/storefront-web-cert for partner-api.partners.shop.example.com, a certificate for [web.storefront.shop.example.com]"},
		{"drop the gateway-api requireJWT", gwAPI, remove("AuthorizationPolicy istio-ingress/public-require-jwt"),
			"the gateway requires JWT, yet admits a request without a token"},
		{"drop the route to a gateway-api egress gateway", gwAPI, remove("HTTPRoute storefront/direct-payments-to-egress-gateway"),
			"egress: namespace storefront -> egress storefront/payments (api.payments.example.net:443 through istio-egress/egress): sidecar storefront/catalog-0 routes http://api.payments.example.net to outbound|80||api.payments.example.net, not to the egress gateway egress-istio.istio-egress.svc.cluster.local"},
		{"drop the gateway-api egress gateway's route", gwAPI, remove("HTTPRoute storefront/forward-payments-from-egress-gateway"),
			"the egress gateway does not route api.payments.example.net to outbound|443||api.payments.example.net"},
		{"drop the origination through a gateway-api egress gateway", gwAPI, remove("DestinationRule storefront/originate-tls-for-payments"),
			"the egress gateway does not originate simple TLS to api.payments.example.net"},
		// in shop-api the same-namespace ALLOW and orders' ztunnel ALLOW admit the waypoint too: drop them with it
		{"ambient: drop the waypoint's ALLOW", ambient, func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			objs = remove("AuthorizationPolicy shop-api/orders-at-ztunnel")(t, objs)
			return remove("AuthorizationPolicy shop-api/allow-same-namespace")(t, remove("AuthorizationPolicy shop-api/allow-waypoint")(t, objs))
		},
			"ingress: gateway istio-system/istio-ingressgateway -> service shop-api/orders: Pod shop-api/orders-0 denies spiffe://cluster.local/ns/shop-api/sa/waypoint"},
		{"ambient: the claims policy on a selector (the deny-all trap)", ambient, edit("AuthorizationPolicy shop-api/orders-allow", func(o *unstructured.Unstructured) {
			unstructured.RemoveNestedField(o.Object, "spec", "targetRefs")
			_ = unstructured.SetNestedStringMap(o.Object, map[string]string{"app": "orders"}, "spec", "selector", "matchLabels")
		}), "AuthorizationPolicy shop-api/orders-allow: ztunnel does not support HTTP attributes"},
		{"ambient: drop a callers ALLOW at a sidecar callee", ambient, remove("AuthorizationPolicy shop-web/web-callers"),
			"callers: namespace shop-api (service account orders) -> service shop-web/web: Pod shop-web/web-0 denies spiffe://cluster.local/ns/shop-api/sa/orders"},
		{"ambient: NetworkPolicy without the waypoint's hop", ambient, func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
			return remove("NetworkPolicy shop-api/allow-same-namespace")(t, remove("NetworkPolicy shop-api/allow-from-waypoint")(t, objs))
		},
			"no NetworkPolicy of namespace shop-api admits Pod shop-api/waypoint-0 to Pod shop-api/orders-0"},
		{"ambient: the waypoint without the claims policy", ambient, remove("AuthorizationPolicy shop-api/orders-allow"),
			"ingress: gateway istio-system/istio-ingressgateway -> service shop-api/orders: the waypoint denies spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"},
		{"ambient: the claims policy without its claims", ambient, edit("AuthorizationPolicy shop-api/orders-allow", func(o *unstructured.Unstructured) {
			rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
			delete(mapOf(rules[0]), "when")
			_ = unstructured.SetNestedSlice(o.Object, rules, "spec", "rules")
		}), "the waypoint admits a token without the claims map[groups:[customers]]"},
		{"ambient: no RequestAuthentication at the waypoints", ambient, remove("RequestAuthentication istio-system/reqauth-waypoints"),
			"ingress: gateway istio-system/istio-ingressgateway -> service shop-api/orders: the waypoint denies"},
		{"ambient: a callers ALLOW at the waypoint for everyone", ambient, edit("AuthorizationPolicy shop-api/orders-callers", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(o.Object, []any{map[string]any{}}, "spec", "rules")
		}), "not allowed: namespace shop-jobs (service account ledger) -> service shop-api/orders: the waypoint admits"},
		{"ambient: a sidecar caller, which skips the waypoint, without the ztunnel ALLOW", ambient, remove("AuthorizationPolicy shop-api/orders-at-ztunnel"),
			"callers: namespace shop-web (service account web) -> service shop-api/orders: Pod shop-api/orders-0 denies spiffe://cluster.local/ns/shop-web/sa/web"},
		{"ambient: egress without its route at the waypoint", "../../testdata/golden/ambient-canary/rendered", remove("VirtualService shop/direct-payments-through-egress-gateway"),
			"egress: namespace shop -> egress shop/payments (api.payments.example.net:443 through istio-system/istio-egressgateway): waypoint shop/waypoint-0 routes http://api.payments.example.net to inbound-vip|80|http|api.payments.example.net, not to the egress gateway"},
		{"ambient: Gateway API egress without its route at the waypoint", "../../testdata/golden/gateway-api-ambient/rendered", remove("HTTPRoute shop/direct-payments-to-egress-gateway"),
			"egress: namespace shop -> egress shop/payments (api.payments.example.net:443 through istio-egress/egress): waypoint shop/waypoint-0 routes http://api.payments.example.net to inbound-vip|80|http|api.payments.example.net, not to the egress gateway"},
		{"ambient: a sidecar caller that does not see its ambient callee", ambient, edit("Sidecar shop-web/default", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(o.Object, []any{map[string]any{"hosts": []any{"./*", "istio-system/*"}}}, "spec", "egress")
		}), "callers: namespace shop-web (service account web) -> service shop-api/orders: sidecar shop-web/web-0 does not route orders.shop-api.svc.cluster.local:8080 to a cluster"},
		{"ambient: the network's deny-by-default without the waypoint's allow-nothing", "../../testdata/golden/ambient-network-deny-only/rendered", remove("AuthorizationPolicy shop/allow-nothing-at-waypoint"),
			"not allowed: namespace shop (service account api) -> service shop/internal: Pod shop/api-0 reaches the waypoint, which admits"},
		{"ambient: a ztunnel ALLOW that lets a caller skip the waypoint", ambient, edit("AuthorizationPolicy shop-api/orders-at-ztunnel", func(o *unstructured.Unstructured) {
			rules, _, _ := unstructured.NestedSlice(o.Object, "spec", "rules")
			rules = append(rules, map[string]any{"from": []any{map[string]any{"source": map[string]any{"namespaces": []any{"shop-jobs"}}}}})
			_ = unstructured.SetNestedSlice(o.Object, rules, "spec", "rules")
		}), "not allowed: namespace shop-jobs (service account ledger) -> service shop-api/orders: Pod shop-api/orders-0 admits spiffe://cluster.local/ns/shop-jobs/sa/ledger past the waypoint"},
		{"ambient in dry run without ztunnel's dry-run policies", "../../testdata/golden/ambient-dry-run/rendered", edit("IstioOperator istio-system/installed-state-1-31-0", func(o *unstructured.Unstructured) {
			env, _, _ := unstructured.NestedSlice(o.Object, "spec", "components", "pilot", "k8s", "env")
			_ = unstructured.SetNestedSlice(o.Object, env[:len(env)-1], "spec", "components", "pilot", "k8s", "env")
		}), "not allowed: namespace shop-jobs (service account ledger) -> service shop/web: Pod shop/web-0 admits spiffe://cluster.local/ns/shop-jobs/sa/ledger past the waypoint"},
		{"ambient: an ALLOW for every namespace at ztunnel", ambient, add(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all-namespaces, namespace: shop-jobs}
spec:
  rules: [{from: [{source: {namespaces: ["*"]}}]}]
`), "not allowed: namespace shop-web (service account web) -> service shop-jobs/ledger: Pod shop-jobs/ledger-0 admits spiffe://cluster.local/ns/shop-web/sa/web (authorization)"},
		{"gateway's service account", refArch, edit("Deployment istio-system/istio-ingressgateway", func(o *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(o.Object, "default", "spec", "template", "spec", "serviceAccountName")
		}), `gateway istio-system/istio-ingressgateway: the installed Deployment runs as service account "default", not "istio-ingressgateway-service-account"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := pathCluster(t, bin, c.tree, func(objs []*unstructured.Unstructured) []*unstructured.Unstructured { return c.mutate(t, objs) })
			problems, _ := m.problems(t)
			joined := strings.Join(problems, "\n")
			if !strings.Contains(joined, c.want) {
				t.Fatalf("problems do not contain %q:\n%s", c.want, joined)
			}
		})
	}
}

// remove drops the object "Kind namespace/name", which must be there.
func remove(ref string) func(*testing.T, []*unstructured.Unstructured) []*unstructured.Unstructured {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		var out []*unstructured.Unstructured
		for _, o := range objs {
			if o.GetKind()+" "+namespacedName(o) != ref {
				out = append(out, o)
			}
		}
		if len(out) == len(objs) {
			t.Fatalf("%s is not in the cluster", ref)
		}
		return out
	}
}

// edit changes a copy of the object "Kind namespace/name".
func edit(ref string, change func(*unstructured.Unstructured)) func(*testing.T, []*unstructured.Unstructured) []*unstructured.Unstructured {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		out := make([]*unstructured.Unstructured, len(objs))
		found := false
		for i, o := range objs {
			out[i] = o
			if o.GetKind()+" "+namespacedName(o) == ref {
				out[i] = o.DeepCopy()
				change(out[i])
				found = true
			}
		}
		if !found {
			t.Fatalf("%s is not in the cluster", ref)
		}
		return out
	}
}

// add appends an object.
func add(doc string) func(*testing.T, []*unstructured.Unstructured) []*unstructured.Unstructured {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		docs, err := ParseDocs("added.yaml", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return append(objs, objects(docs)...)
	}
}

func dryRun(o *unstructured.Unstructured) {
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["istio.io/dry-run"] = "true"
	o.SetAnnotations(a)
}

// TestAllowedPaths derives the matrix of the zero-trust example.
func TestAllowedPaths(t *testing.T) {
	spec, err := load.Load("../../examples/zero-trust/spec")
	if err != nil {
		t.Fatal(err)
	}
	p, err := AllowedPaths(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Allowed {
		got = append(got, a.String())
	}
	want := []string{
		"same-namespace: namespace analytics -> service analytics/collector",
		"callers: namespace storefront -> service analytics/collector",
		"callers: namespace payments (service account api) -> service analytics/collector",
		"callers: namespace storefront -> service inventory/stock",
		"callers: namespace inventory-jobs -> service inventory/stock",
		"callers: namespace storefront (service account web) -> service payments/api",
		"ingress: gateway istio-system/istio-ingressgateway -> service storefront/web",
		"egress: namespace payments -> egress payments/processor (api.processor.example.net:443 through istio-system/istio-egressgateway)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("allowed paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want := (Promises{Visibility: true, Authorization: true, NetworkPolicy: true}); p.Promises != want {
		t.Errorf("promises %+v, want %+v", p.Promises, want)
	}
	stock := p.Services[1]
	for _, c := range []struct {
		from Peer
		ok   bool
	}{
		{Peer{Namespace: "storefront", ServiceAccount: "anyone"}, true},
		{Peer{Namespace: "inventory-jobs"}, true},
		{Peer{Namespace: "inventory"}, false}, // its own namespace, without allowSameNamespace
		{Peer{Namespace: "payments"}, false},
		{Peer{Gateway: "istio-ingressgateway", Namespace: "istio-system"}, false},
	} {
		if _, ok := p.ServicePath(c.from, stock); ok != c.ok {
			t.Errorf("%s -> %s allowed: %t, want %t", c.from, stock, ok, c.ok)
		}
	}
	api := p.Services[2]
	if _, ok := p.ServicePath(Peer{Namespace: "storefront", ServiceAccount: "other"}, api); ok {
		t.Errorf("%s admits a service account its callers do not list", api)
	}
	if !p.Reveals("storefront", api) || p.Reveals("analytics", api) {
		t.Errorf("%s: revealed to its caller namespace only, and to its own", api)
	}
}

// TestRBACMatchers checks the Envoy matcher semantics Authorize relies on
// where they are easy to get wrong: missing headers and inversion, regexes
// matching the whole value, metadata lists.
func TestRBACMatchers(t *testing.T) {
	headers := map[string]string{":path": "/api/v1", "x-present": "yes"}
	for _, c := range []struct {
		name string
		m    *routev3.HeaderMatcher
		want bool
	}{
		{"missing, exact", &routev3.HeaderMatcher{Name: "x-missing", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: ""}}}}, false},
		{"missing, inverted exact", &routev3.HeaderMatcher{Name: "x-missing", InvertMatch: true, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a"}}}}, true},
		{"missing, inverted presence", &routev3.HeaderMatcher{Name: "x-missing", InvertMatch: true, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}, false},
		{"missing, absence", &routev3.HeaderMatcher{Name: "x-missing", HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: false}}, true},
		{"present", &routev3.HeaderMatcher{Name: "X-Present", HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}, true},
		{"regex is anchored", &routev3.HeaderMatcher{Name: ":path", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "/api"}}}}}, false},
		{"regex, whole value", &routev3.HeaderMatcher{Name: ":path", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "/api/v[0-9]+"}}}}}, true},
	} {
		if got, err := headerMatches(c.m, headers); err != nil || got != c.want {
			t.Errorf("%s: %t (%v), want %t", c.name, got, err, c.want)
		}
	}
	claims, _ := claimsStruct(map[string][]string{"groups": {"a", "staff"}, "sub": {"me"}})
	e := &evaluation{metadata: map[string]*structpb.Struct{"jwt": {Fields: map[string]*structpb.Value{"payload": structpb.NewStructValue(claims)}}}}
	list := func(key, v string) *matcherv3.MetadataMatcher {
		return &matcherv3.MetadataMatcher{Filter: "jwt", Path: []*matcherv3.MetadataMatcher_PathSegment{
			{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: "payload"}}, {Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: key}},
		}, Value: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_ListMatch{ListMatch: &matcherv3.ListMatcher{
			MatchPattern: &matcherv3.ListMatcher_OneOf{OneOf: &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: v}}}}},
		}}}}
	}
	for _, c := range []struct {
		m    *matcherv3.MetadataMatcher
		want bool
	}{
		{list("groups", "staff"), true},
		{list("groups", "other"), false},
		{list("sub", "me"), false}, // a string is not a list
		{list("missing", "me"), false},
	} {
		if got, err := e.metadataMatches(c.m); err != nil || got != c.want {
			t.Errorf("%v: %t (%v), want %t", c.m, got, err, c.want)
		}
	}
}
