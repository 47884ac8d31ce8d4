package render

import (
	rbacv1 "k8s.io/api/rbac/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// TenantEdgeRole is the ClusterRole tenants' owners are bound to in the
// control-plane namespace: what they need to put a service on the edge.
const TenantEdgeRole = "meshwright:tenant-edge"

var editVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

func tenantEdgeClusterRole() Object {
	return &rbacv1.ClusterRole{
		TypeMeta:   typeClusterRole,
		ObjectMeta: objectMeta("", TenantEdgeRole),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"cert-manager.io"}, Resources: []string{"certificates"}, Verbs: editVerbs},
			{APIGroups: []string{"networking.istio.io"}, Resources: []string{"gateways", "destinationrules"}, Verbs: editVerbs},
		},
	}
}

// tenantEdgeBinding binds a tenant's owners to the edge role in the
// control-plane namespace only; a tenant whose services and egress entries
// are all on gateway-api gateways needs no rights outside its namespaces
// and gets none.
func tenantEdgeBinding(m *spec.MeshSpec, t *spec.Tenant) []Object {
	if len(t.Spec.Owners) == 0 || onlyGatewayAPI(m, t) {
		return nil
	}
	rb := &rbacv1.RoleBinding{
		TypeMeta:   typeRoleBinding,
		ObjectMeta: objectMeta(m.ControlPlane.Namespace, TenantEdgeRole+":"+t.Metadata.Name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantEdgeRole},
	}
	for _, o := range t.Spec.Owners {
		s := rbacv1.Subject{Kind: string(o.Kind), Name: o.Name, Namespace: o.Namespace}
		if o.Kind != spec.OwnerServiceAccount {
			s.APIGroup = rbacv1.GroupName
		}
		rb.Subjects = append(rb.Subjects, s)
	}
	return []Object{rb}
}

// grantToServiceAccount is a Role named name in ns with one rule, and the
// RoleBinding of the same name that grants it to a ServiceAccount.
func grantToServiceAccount(ns, name string, rule rbacv1.PolicyRule, saNamespace, sa string) []Object {
	role := &rbacv1.Role{
		TypeMeta:   typeRole,
		ObjectMeta: objectMeta(ns, name),
		Rules:      []rbacv1.PolicyRule{rule},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   typeRoleBinding,
		ObjectMeta: objectMeta(ns, name),
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: saNamespace}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
	}
	return []Object{role, binding}
}

// onlyGatewayAPI tells whether a tenant uses gateways, all of them
// gateway-api ones.
func onlyGatewayAPI(m *spec.MeshSpec, t *spec.Tenant) bool {
	uses := false
	for _, s := range t.Spec.Services {
		if s.Ingress != nil {
			if !isGatewayAPI(findGateway(m.Gateways.Ingress, s.Ingress.Gateway)) {
				return false
			}
			uses = true
		}
	}
	for _, e := range t.Spec.Egress {
		if !isGatewayAPI(findGateway(m.Gateways.Egress, e.Gateway)) {
			return false
		}
		uses = true
	}
	return uses
}
