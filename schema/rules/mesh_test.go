package rules_test

import (
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// TestMeshRules: one or more cases per rule of mesh.go.
func TestMeshRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid base passes"},

		// revisions
		{name: "two revisions install one version",
			mesh: "spec: {controlPlane: {revisions: [{version: 1.30.2, name: stable}, {version: 1.30.2, name: canary}]}}",
			want: []want{{mesh, "spec.controlPlane.revisions[1].version", schema.CodeDuplicateVersion, "version 1.30.2 is already revision 0"}}},
		{name: "two revisions share a name",
			mesh: "spec: {controlPlane: {revisions: [{version: 1.30.2, name: stable}, {version: 1.31.0, name: stable}]}}",
			want: []want{{mesh, "spec.controlPlane.revisions[1].name", schema.CodeDuplicateRevision, `revision name "stable" is already used by revision 0`}}},
		{name: "one version twice, names defaulted from it",
			mesh: "spec: {controlPlane: {revisions: [{version: 1.30.2}, {version: 1.30.2}]}}",
			want: []want{
				{mesh, "spec.controlPlane.revisions[1].version", schema.CodeDuplicateVersion, "version 1.30.2 is already revision 0"},
				{mesh, "spec.controlPlane.revisions[1].name", schema.CodeDuplicateRevision, `revision name "1-30-2" is already used by revision 0`},
			}},
		{name: "tags and revisions side by side pass",
			mesh: "spec: {controlPlane: {revisions: [{version: 1.30.2}, {version: 1.31.0}], tags: {stable: 1-30-2, canary: 1-31-0}, defaultRevision: stable, gatewayRevision: canary}}"},
		{name: "tag named like a revision",
			mesh: "spec: {controlPlane: {tags: {1-30-2: 1-30-2}}}",
			want: []want{{mesh, "spec.controlPlane.tags.1-30-2", schema.CodeTagNamedLikeRevision, `tag "1-30-2" is named like a revision`}}},
		{name: "tag points to an unknown revision",
			mesh: "spec: {controlPlane: {tags: {canary: 1-31-0}}}",
			want: []want{{mesh, "spec.controlPlane.tags.canary", schema.CodeUnknownRevision, `tag "canary" points to unknown revision "1-31-0" (revisions: 1-30-2)`}}},
		{name: "tag pointing to another tag is refused",
			mesh: "spec: {controlPlane: {tags: {stable: 1-30-2, prod: stable}}}",
			want: []want{{mesh, "spec.controlPlane.tags.prod", schema.CodeUnknownRevision, `tag "prod" points to unknown revision "stable"`}}},
		{name: "unknown defaultRevision is reported once, not again for gatewayRevision or tenants",
			mesh: "spec: {controlPlane: {tags: {stable: 1-30-2}, defaultRevision: stabel}}",
			want: []want{{mesh, "spec.controlPlane.defaultRevision", schema.CodeUnknownRevision, `unknown revision or tag "stabel" (revisions: 1-30-2; tags: stable)`}}},
		{name: "unknown gatewayRevision",
			mesh: "spec: {controlPlane: {gatewayRevision: 1-29-0}}",
			want: []want{{mesh, "spec.controlPlane.gatewayRevision", schema.CodeUnknownRevision, `unknown revision or tag "1-29-0" (revisions: 1-30-2)`}}},
		{name: "defaultRevision and gatewayRevision both unknown",
			mesh: "spec: {controlPlane: {defaultRevision: stabel, gatewayRevision: 1-29-0}}",
			want: []want{
				{mesh, "spec.controlPlane.defaultRevision", schema.CodeUnknownRevision, `unknown revision or tag "stabel"`},
				{mesh, "spec.controlPlane.gatewayRevision", schema.CodeUnknownRevision, `unknown revision or tag "1-29-0"`},
			}},

		// jwksBlockedCIDRs
		{name: "blocked CIDRs pass",
			mesh: `spec: {security: {jwksBlockedCIDRs: ["10.0.0.0/8", "fd00::/8"]}}`},
		{name: "CIDR prefix too long",
			mesh: `spec: {security: {jwksBlockedCIDRs: ["169.254.0.0/16", "10.0.0.0/33"]}}`,
			want: []want{{mesh, "spec.security.jwksBlockedCIDRs[1]", schema.CodeInvalidCIDR, `"10.0.0.0/33" is not a network in CIDR notation`}}},
		{name: "CIDR address out of range",
			mesh: `spec: {security: {jwksBlockedCIDRs: ["300.0.0.0/8"]}}`,
			want: []want{{mesh, "spec.security.jwksBlockedCIDRs[0]", schema.CodeInvalidCIDR, `"300.0.0.0/8" is not a network in CIDR notation`}}},

		// certificate lifetimes
		{name: "certificate shorter than an hour",
			mesh: "spec: {certificates: {duration: 30m, renewBefore: 10m}}",
			want: []want{{mesh, "spec.certificates.duration", schema.CodeCertificateTooShort, "duration 30m is shorter than cert-manager's minimum of 1h"}}},
		{name: "certificate of exactly an hour passes",
			mesh: "spec: {certificates: {duration: 1h, renewBefore: 30m}}"},
		{name: "renewBefore longer than duration (the default 360h)",
			mesh: "spec: {certificates: {duration: 24h}}",
			want: []want{{mesh, "spec.certificates.renewBefore", schema.CodeRenewAfterExpiry, "renewBefore 360h must be shorter than duration 24h"}}},
		{name: "renewBefore equal to duration",
			mesh: "spec: {certificates: {duration: 720h, renewBefore: 43200m}}",
			want: []want{{mesh, "spec.certificates.renewBefore", schema.CodeRenewAfterExpiry, "renewBefore 43200m must be shorter than duration 720h"}}},

		// gateways
		{name: "two ingress gateways share a name",
			mesh: "spec: {gateways: {ingress: [{name: edge}, {name: edge}]}}",
			want: []want{{mesh, "spec.gateways.ingress[1].name", schema.CodeDuplicateGateway, `gateway name "edge" is already used by spec.gateways.ingress[0]`}}},
		{name: "an egress gateway named like an ingress gateway",
			mesh:   "spec: {gateways: {egress: [{name: istio-ingressgateway}]}}",
			tenant: "spec: {egress: [{name: payments, host: api.payments.example.net, gateway: istio-ingressgateway}]}",
			want:   []want{{mesh, "spec.gateways.egress[0].name", schema.CodeDuplicateGateway, `gateway name "istio-ingressgateway" is already used by spec.gateways.ingress[0]`}}},
		{name: "requireJWT without a provider",
			mesh: "spec: {gateways: {ingress: [{name: edge, requireJWT: true}]}}",
			want: []want{{mesh, "spec.gateways.ingress[0].requireJWT", schema.CodeRequireJWTNoProvider, "requireJWT needs at least one provider in spec.security.jwt"}}},
		{name: "requireJWT with a provider passes",
			mesh: "spec: {gateways: {ingress: [{name: edge, requireJWT: true}]}, security: {jwt: [{issuer: https://login.example.com}]}}"},
		{name: "gateway-api gateway name too long for <name>-istio",
			mesh: "spec: {gateways: {ingress: [{name: public-edge-gateway-for-every-tenant-of-the-platform-teams, api: gateway-api}]}}",
			want: []want{{mesh, "spec.gateways.ingress[0].name", schema.CodeGatewayNameTooLong, "a gateway-api gateway's name has at most 57 characters (this one has 58)"}}},
		{name: "ambient Mesh without the CNI",
			mesh: "spec: {dataplane: ambient, controlPlane: {cni: {enabled: false}}}",
			want: []want{{mesh, "spec.controlPlane.cni.enabled", schema.CodeAmbientWithoutCNI, "dataplane ambient needs the Istio CNI"}}},
		{name: "ambient Mesh with the CNI passes",
			mesh: "spec: {dataplane: ambient}"},
		{name: "istio gateway of that name passes",
			mesh: "spec: {gateways: {ingress: [{name: public-edge-gateway-for-every-tenant-of-the-platform-team}]}}"},

		// install through Helm charts
		{name: "flux without a chart repository",
			mesh: "spec: {controlPlane: {install: flux}}",
			want: []want{{mesh, "spec.controlPlane.install", schema.CodeNoChartRepository, "install flux installs Istio's Helm charts: set spec.controlPlane.chartRepository"}}},
		{name: "argocd with a chart repository passes",
			mesh: "spec: {controlPlane: {install: argocd, chartRepository: \"oci://harbor.example.com/istio\"}}"},
		{name: "istioctl needs no chart repository",
			mesh: "spec: {controlPlane: {install: istioctl}}"},
		{name: "istiod release name too long for Helm",
			mesh: "spec: {controlPlane: {install: flux, chartRepository: \"https://charts.example.com\", revisions: [{version: 1.30.2, name: the-revision-of-istio-that-the-platform-team-tests}]}}",
			want: []want{{mesh, "spec.controlPlane.revisions[0].name", schema.CodeReleaseNameTooLong, `the istiod release "istiod-the-revision-of-istio-that-the-platform-team-tests" has 57 characters, Helm allows 53`}}},
		{name: "gateway release name too long for Helm",
			mesh: "spec: {controlPlane: {install: argocd, chartRepository: \"oci://harbor.example.com/istio\"}, gateways: {ingress: [{name: public-edge-gateway-shared-by-all-tenants-of-the-platform}]}}",
			want: []want{{mesh, "spec.gateways.ingress[0].name", schema.CodeReleaseNameTooLong, `the gateway's Helm release "public-edge-gateway-shared-by-all-tenants-of-the-platform" has 57 characters`}}},
		{name: "long gateway name is fine with istioctl",
			mesh: "spec: {gateways: {ingress: [{name: public-edge-gateway-shared-by-all-tenants-of-the-platform}]}}"},
	})
}
