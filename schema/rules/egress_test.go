package rules_test

import (
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// TestEgressRules: one or more cases per rule of egress.go.
func TestEgressRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid base passes"},

		{name: "one egress entry listed twice in a namespace",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net}, {name: payments, host: api.billing.example.net}]}",
			want:   []want{{shop, "spec.egress[1].name", schema.CodeDuplicateEntry, `egress "payments" is listed twice in namespace "shop"`}}},

		{name: "egress without an egress gateway",
			mesh: "spec: {gateways: {egress: []}}",
			want: []want{{shop, "spec.egress[0]", schema.CodeNoEgressGateway, "egress needs an egress gateway: the Mesh defines none in spec.gateways.egress"}}},
		{name: "unknown egress gateway",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net, gateway: other-egress}]}",
			want:   []want{{shop, "spec.egress[0].gateway", schema.CodeUnknownGateway, `unknown egress gateway "other-egress" (the Mesh defines: istio-egressgateway)`}}},
		{name: "an ingress gateway is not an egress gateway",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net, gateway: istio-ingressgateway}]}",
			want:   []want{{shop, "spec.egress[0].gateway", schema.CodeUnknownGateway, `unknown egress gateway "istio-ingressgateway"`}}},
		{name: "a second egress gateway named passes",
			mesh:   "spec: {gateways: {egress: [{name: istio-egressgateway}, {name: payments-egress}]}}",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net, gateway: payments-egress}]}"},

		{name: "tls MUTUAL through a gateway-api egress gateway",
			mesh: "spec: {gateways: {egress: [{name: istio-egressgateway, api: gateway-api}]}}",
			want: []want{{shop, "spec.egress[0].tls", schema.CodeEgressOnGatewayAPI, `tls MUTUAL cannot be expressed through gateway-api egress gateway "istio-egressgateway": the gateway reads the client certificate only from its own namespace`}}},
		{name: "location cluster through a gateway-api egress gateway",
			mesh:   "spec: {gateways: {egress: [{name: istio-egressgateway, api: gateway-api}]}}",
			tenant: "spec: {egress: [{name: payments, host: payments.billing.svc.cluster.local, tls: SIMPLE}]}",
			want:   []want{{shop, "spec.egress[0].location", schema.CodeEgressOnGatewayAPI, `location cluster cannot be expressed through gateway-api egress gateway "istio-egressgateway"`}}},
		{name: "tls SIMPLE to an external host through a gateway-api egress gateway passes",
			mesh:   "spec: {gateways: {egress: [{name: istio-egressgateway, api: gateway-api}]}}",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net, tls: SIMPLE}]}"},

		{name: "in-cluster egress from an ambient namespace",
			tenant: "spec: {namespaces: [{name: shop, dataplane: ambient}], egress: [{name: billing, host: billing.finance.svc.cluster.local, tls: SIMPLE}]}",
			want:   []want{{shop, "spec.egress[0].location", schema.CodeClusterEgressAmbient, `location cluster cannot be expressed from ambient namespace "shop"`}}},
		{name: "external egress from an ambient namespace passes",
			tenant: "spec: {namespaces: [{name: shop, dataplane: ambient}], egress: [{name: payments, host: api.payments.example.net, tls: SIMPLE}]}"},

		{name: "tls MUTUAL (the default) without certificates",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {services: (delete)}",
			want:   []want{{shop, "spec.egress[0].tls", schema.CodeTLSWithoutIssuer, "tls MUTUAL needs a client certificate issuer: the Mesh has no spec.certificates"}}},
		{name: "tls SIMPLE without certificates passes",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {services: (delete), egress: [{name: payments, host: api.payments.example.net, tls: SIMPLE}]}"},

		{name: "two entries of a tenant reach one host",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net}, {name: payments-v2, host: api.payments.example.net, port: 8443}]}",
			want: []want{{shop, "spec.egress[1].host", schema.CodeEgressHostTaken, `egress to host "api.payments.example.net" is already defined by Tenant/shop (tenant.yaml:`},
				{shop, "spec.egress[0].host", schema.CodeEgressHostTaken, `egress to host "api.payments.example.net" is also defined by Tenant/shop (tenant.yaml:`}}},
		{name: "two tenants reach one host",
			extra: []string{tenant("cart", "{namespaces: [{name: cart}], egress: [{name: psp, host: api.payments.example.net}]}")},
			want: []want{{"Tenant/cart", "spec.egress[0].host", schema.CodeEgressHostTaken, `egress to host "api.payments.example.net" is already defined by Tenant/shop (tenant.yaml:`},
				{shop, "spec.egress[0].host", schema.CodeEgressHostTaken, `egress to host "api.payments.example.net" is also defined by Tenant/cart (extra0.yaml:`}}},
	})
}
