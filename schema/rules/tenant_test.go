package rules_test

import (
	"testing"

	"github.com/meshwright/meshwright/schema"
)

// TestTenantRules: one or more cases per rule of tenant.go.
func TestTenantRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "valid base passes"},

		{name: "ambient namespace without the CNI",
			mesh:   "spec: {controlPlane: {cni: {enabled: false}}}",
			tenant: "spec: {namespaces: [{name: shop, dataplane: ambient}]}",
			want:   []want{{shop, "spec.namespaces[0].dataplane", schema.CodeAmbientWithoutCNI, `namespace "shop" is ambient, which needs the Istio CNI`}}},
		{name: "ambient tenant without the CNI is reported at its namespaces",
			mesh:   "spec: {controlPlane: {cni: {enabled: false}}}",
			tenant: "spec: {dataplane: ambient}",
			want:   []want{{shop, "spec.namespaces[0].dataplane", schema.CodeAmbientWithoutCNI, `namespace "shop" is ambient`}}},
		{name: "ambient Mesh without the CNI is reported at the Mesh only",
			mesh: "spec: {dataplane: ambient, controlPlane: {cni: {enabled: false}}}",
			want: []want{{mesh, "spec.controlPlane.cni.enabled", schema.CodeAmbientWithoutCNI, "dataplane ambient needs the Istio CNI"}}},
		{name: "a second tenant with its own namespace passes",
			extra: []string{tenant("cart", "{namespaces: [{name: cart}]}")}},

		// tenant names
		{name: "two tenants share a name",
			extra: []string{tenant("shop", "{namespaces: [{name: shop-2}]}")},
			want: []want{{shop, "metadata.name", schema.CodeDuplicateTenant, `tenant "shop" is defined twice (first: Tenant/shop (tenant.yaml:4))`},
				{shop, "metadata.name", schema.CodeDuplicateTenant, `tenant "shop" is defined twice (again: Tenant/shop (extra0.yaml:3))`}}},

		// revisions
		{name: "tenant revision naming a tag passes",
			mesh:   "spec: {controlPlane: {tags: {stable: 1-30-2}}}",
			tenant: "spec: {revision: stable, namespaces: [{name: shop, revision: 1-30-2}]}"},
		{name: "unknown tenant revision",
			tenant: "spec: {revision: beta}",
			want:   []want{{shop, "spec.revision", schema.CodeUnknownRevision, `unknown revision or tag "beta" (revisions: 1-30-2)`}}},
		{name: "unknown tenant revision is not repeated for its namespaces",
			tenant: "spec: {revision: beta, namespaces: [{name: shop}, {name: shop-jobs}]}",
			want:   []want{{shop, "spec.revision", schema.CodeUnknownRevision, `unknown revision or tag "beta"`}}},
		{name: "unknown namespace revision",
			mesh:   "spec: {controlPlane: {tags: {stable: 1-30-2}}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: shop-jobs, revision: canary}]}",
			want:   []want{{shop, "spec.namespaces[1].revision", schema.CodeUnknownRevision, `unknown revision or tag "canary" (revisions: 1-30-2; tags: stable)`}}},

		// namespaces
		{name: "namespace listed twice",
			tenant: "spec: {namespaces: [{name: shop}, {name: shop}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeDuplicateNamespace, `namespace "shop" is listed twice`}}},
		{name: "namespace owned by another tenant",
			extra: []string{tenant("cart", "{namespaces: [{name: cart}, {name: shop}]}")},
			want: []want{{"Tenant/cart", "spec.namespaces[1].name", schema.CodeNamespaceOwned, `namespace "shop" is already owned by Tenant/shop (tenant.yaml:10)`},
				{shop, "spec.namespaces[0].name", schema.CodeNamespaceOwned, `namespace "shop" is also claimed by Tenant/cart (extra0.yaml:`}}},
		{name: "control-plane namespace is reserved",
			tenant: "spec: {namespaces: [{name: shop}, {name: istio-system}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "istio-system" is the control-plane namespace: tenants cannot own it`}}},
		{name: "moved control-plane namespace is reserved",
			mesh:   "spec: {controlPlane: {namespace: mesh-system}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: mesh-system}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "mesh-system" is the control-plane namespace`}}},
		{name: "CNI namespace is reserved",
			mesh:   "spec: {controlPlane: {cni: {namespace: istio-cni}}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: istio-cni}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "istio-cni" is the CNI namespace`}}},
		{name: "CNI namespace is free once the CNI is disabled",
			mesh:   "spec: {controlPlane: {cni: {enabled: false, namespace: istio-cni}}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: istio-cni}]}"},
		{name: "gateway namespace is reserved",
			mesh:   "spec: {gateways: {egress: [{name: istio-egressgateway, namespace: egress}]}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: egress}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "egress" is gateway istio-egressgateway's namespace`}}},
		{name: "cert-manager namespace is reserved",
			tenant: "spec: {namespaces: [{name: shop}, {name: cert-manager}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "cert-manager" is cert-manager's namespace`}}},
		{name: "cert-manager namespace is free without certificates",
			mesh:   "spec: {certificates: (delete)}",
			tenant: "spec: {namespaces: [{name: shop}, {name: cert-manager}], services: [{name: web, port: 80}], egress: [{name: payments, host: api.payments.example.net, tls: SIMPLE}]}"},
		{name: "kube-* namespaces are reserved",
			tenant: "spec: {namespaces: [{name: shop}, {name: kube-public}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "kube-public" is a Kubernetes system namespace`}}},
		{name: "kube-system stays reserved with the CNI disabled",
			mesh:   "spec: {controlPlane: {cni: {enabled: false}}}",
			tenant: "spec: {namespaces: [{name: shop}, {name: kube-system}]}",
			want:   []want{{shop, "spec.namespaces[1].name", schema.CodeReservedNamespace, `namespace "kube-system" is a Kubernetes system namespace`}}},

		// owners
		{name: "owners of every kind pass",
			tenant: "spec: {owners: [{kind: Group, name: admins}, {kind: User, name: jane}, {kind: ServiceAccount, name: ci, namespace: ci}]}"},
		{name: "ServiceAccount owner without a namespace",
			tenant: "spec: {owners: [{kind: ServiceAccount, name: ci}]}",
			want:   []want{{shop, "spec.owners[0]", schema.CodeOwnerNamespace, "a ServiceAccount owner needs its namespace"}}},
		{name: "User owner with a namespace",
			tenant: "spec: {owners: [{kind: Group, name: admins}, {kind: User, name: jane, namespace: shop}]}",
			want:   []want{{shop, "spec.owners[1].namespace", schema.CodeOwnerNamespace, "a User has no namespace: only ServiceAccount owners take one"}}},
		{name: "Group owner with a namespace",
			tenant: "spec: {owners: [{kind: Group, name: admins, namespace: shop}]}",
			want:   []want{{shop, "spec.owners[0].namespace", schema.CodeOwnerNamespace, "a Group has no namespace"}}},

		// entries in the tenant's namespaces (checkHome)
		{name: "service in a second namespace of the tenant passes",
			tenant: "spec: {namespaces: [{name: shop}, {name: shop-api}], services: [{name: web, port: 80, namespace: shop-api, ingress: {}}]}"},
		{name: "service in a foreign namespace",
			tenant: "spec: {services: [{name: web, port: 80, namespace: cart}]}",
			want:   []want{{shop, "spec.services[0].namespace", schema.CodeForeignNamespace, `namespace "cart" is not one of this tenant's namespaces (shop)`}}},
		{name: "egress in a foreign namespace",
			tenant: "spec: {namespaces: [{name: shop}, {name: shop-jobs}], egress: [{name: payments, host: api.payments.example.net, namespace: cart}]}",
			want:   []want{{shop, "spec.egress[0].namespace", schema.CodeForeignNamespace, `namespace "cart" is not one of this tenant's namespaces (shop, shop-jobs)`}}},
	})
}
