package rules_test

import (
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// TestServiceRules: one or more cases per rule of service.go.
func TestServiceRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid base passes"},

		{name: "one service listed twice in a namespace",
			tenant: "spec: {services: [{name: web, port: 80}, {name: web, port: 8080}]}",
			want:   []want{{shop, "spec.services[1].name", schema.CodeDuplicateEntry, `service "web" is listed twice in namespace "shop"`}}},
		{name: "one service name in two namespaces passes",
			tenant: "spec: {namespaces: [{name: shop}, {name: shop-api}], services: [{name: web, port: 80, ingress: {}}, {name: web, port: 80, namespace: shop-api, ingress: {}}]}"},

		{name: "tls MUTUAL on a gateway-api gateway",
			mesh:   "spec: {gateways: {ingress: [{name: public, api: gateway-api}]}}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: public, tls: MUTUAL}}]}",
			want:   []want{{shop, "spec.services[0].ingress.tls", schema.CodeMutualOnGatewayAPI, `tls MUTUAL cannot be expressed on gateway-api gateway "public": Gateway API validates client certificates per Gateway or per port, not per host`}}},
		{name: "tls SIMPLE and NONE on a gateway-api gateway pass",
			mesh:   "spec: {gateways: {ingress: [{name: public, api: gateway-api}]}}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: public}}, {name: api, port: 80, ingress: {gateway: public, tls: NONE}}]}"},
		{name: "tls MUTUAL on an istio gateway passes beside a gateway-api one",
			mesh:   "spec: {gateways: {ingress: [{name: public, api: gateway-api}, {name: istio-ingressgateway}]}}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: istio-ingressgateway, tls: MUTUAL}}]}"},

		{name: "authorization without ingress",
			tenant: "spec: {services: [{name: web, port: 80, authorization: {claims: {groups: [admins]}}}]}",
			want:   []want{{shop, "spec.services[0].authorization", schema.CodeAuthorizationNoEdge, `service "web" has no ingress`}}},
		{name: "authorization with ingress passes",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {}, authorization: {claims: {groups: [admins]}}}]}"},

		{name: "callers from another tenant and from the tenant's other namespace pass",
			extra:  []string{tenant("cart", "{namespaces: [{name: cart}, {name: cart-jobs}]}")},
			tenant: "spec: {namespaces: [{name: shop}, {name: shop-jobs}], services: [{name: web, port: 80, callers: [{tenant: cart, namespaces: [cart-jobs], serviceAccounts: [worker]}, {tenant: shop, namespaces: [shop-jobs]}]}]}"},
		{name: "caller naming an unknown tenant",
			tenant: "spec: {services: [{name: web, port: 80, callers: [{tenant: cart}]}]}",
			want:   []want{{shop, "spec.services[0].callers[0].tenant", schema.CodeUnknownCaller, `unknown tenant "cart" (tenants: shop)`}}},
		{name: "caller naming a namespace its tenant does not own",
			extra:  []string{tenant("cart", "{namespaces: [{name: cart}]}")},
			tenant: "spec: {services: [{name: web, port: 80, callers: [{tenant: cart, namespaces: [cart, shop]}]}]}",
			want:   []want{{shop, "spec.services[0].callers[0].namespaces[1]", schema.CodeCallerNamespace, `namespace "shop" is not one of Tenant/cart's namespaces (cart)`}}},

		{name: "unknown ingress gateway",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: edge}}]}",
			want:   []want{{shop, "spec.services[0].ingress.gateway", schema.CodeUnknownGateway, `unknown ingress gateway "edge" (the Mesh defines: istio-ingressgateway)`}}},
		{name: "an egress gateway is not an ingress gateway",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: istio-egressgateway}}]}",
			want:   []want{{shop, "spec.services[0].ingress.gateway", schema.CodeUnknownGateway, `unknown ingress gateway "istio-egressgateway"`}}},
		{name: "a second ingress gateway named passes",
			mesh:   "spec: {gateways: {ingress: [{name: public}, {name: internal}]}}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {gateway: internal}}]}"},

		{name: "two services of a tenant expose one host",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {host: shop.example.com}}, {name: api, port: 80, ingress: {host: shop.example.com}}]}",
			want: []want{{shop, "spec.services[1].ingress.host", schema.CodeHostTaken, `host "shop.example.com" is already exposed by Tenant/shop (tenant.yaml:`},
				{shop, "spec.services[0].ingress.host", schema.CodeHostTaken, `host "shop.example.com" is also exposed by Tenant/shop (tenant.yaml:`}}},
		{name: "a default host taken by another tenant's explicit host",
			extra: []string{tenant("cart", "{namespaces: [{name: cart}], services: [{name: api, port: 80, ingress: {host: web.shop.example.com}}]}")},
			want: []want{{"Tenant/cart", "spec.services[0].ingress.host", schema.CodeHostTaken, `host "web.shop.example.com" is already exposed by Tenant/shop (tenant.yaml:`},
				{shop, "spec.services[0].ingress.host", schema.CodeHostTaken, `host "web.shop.example.com" is also exposed by Tenant/cart (extra0.yaml:`}}},
		{name: "host outside the domain",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {host: web.example.org}}]}",
			want:   []want{{shop, "spec.services[0].ingress.host", schema.CodeHostOutsideDomain, `host "web.example.org" is outside the Mesh domain "example.com"`}}},
		{name: "host ending in the domain's text but not under it",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {host: www.myexample.com}}]}",
			want:   []want{{shop, "spec.services[0].ingress.host", schema.CodeHostOutsideDomain, `host "www.myexample.com" is outside the Mesh domain`}}},

		{name: "tls SIMPLE (the default) without certificates",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {egress: (delete)}",
			want:   []want{{shop, "spec.services[0].ingress.tls", schema.CodeTLSWithoutIssuer, "tls SIMPLE needs a certificate issuer: the Mesh has no spec.certificates"}}},
		{name: "tls MUTUAL without certificates",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {tls: MUTUAL}}], egress: (delete)}",
			want:   []want{{shop, "spec.services[0].ingress.tls", schema.CodeTLSWithoutIssuer, "tls MUTUAL needs a certificate issuer"}}},
		{name: "tls NONE without certificates passes",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {tls: NONE}}], egress: (delete)}"},

		{name: "routes with one match each pass",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {routes: [{exact: /login}, {prefix: /api}, {regex: \"^/v[0-9]+\"}]}}]}"},
		{name: "route with two matches",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {routes: [{exact: /login, prefix: /api}]}}]}",
			want:   []want{{shop, "spec.services[0].ingress.routes[0]", schema.CodeRouteMatch, "a route sets exactly one of exact, prefix, regex (this one sets 2)"}}},
		{name: "route with no match",
			tenant: "spec: {services: [{name: web, port: 80, ingress: {routes: [{prefix: /}, {}]}}]}",
			want:   []want{{shop, "spec.services[0].ingress.routes[1]", schema.CodeRouteMatch, "(this one sets 0)"}}},
	})
}
