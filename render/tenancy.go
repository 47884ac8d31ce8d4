package render

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// tenancy renders a tenant's namespaces and their network isolation.
func tenancy(mesh *spec.MeshSpec, t *spec.Tenant, w waypoints) []Object {
	var objs []Object
	for _, ns := range t.Spec.Namespaces {
		objs = append(objs, namespace(ns.Name, namespaceLabels(t, ns, w[ns.Name])))
		if w[ns.Name] {
			objs = append(objs, waypoint(t, ns))
		}
		if mesh.NetworkPolicy.DenyByDefault {
			objs = append(objs, networkPolicy(ns.Name, "deny-by-default", nil))
		}
		// wherever a NetworkPolicy isolates the pods, ambient's own traffic
		// must be admitted
		if isAmbient(ns) && isolated(mesh, t, ns.Name) {
			objs = append(objs, ambientNetworkPolicies(mesh, t, ns, w[ns.Name])...)
		}
		if ns.AllowSameNamespace {
			objs = append(objs, networkPolicy(ns.Name, "allow-same-namespace", []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}))
		}
	}
	return objs
}

// isolated tells whether NetworkPolicies select the namespace's pods, so
// that each path to them needs its own: the Mesh's deny-by-default, or the
// namespace's allow-same-namespace, which isolates them too.
func isolated(m *spec.MeshSpec, t *spec.Tenant, ns string) bool {
	return m.NetworkPolicy.DenyByDefault || sameNamespaceAllowed(t, ns)
}

// networkPolicy renders an ingress policy for every pod of the namespace:
// with no peers it denies all ingress, with peers it admits them.
func networkPolicy(ns, name string, from []networkingv1.NetworkPolicyPeer) Object {
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   typeNetworkPolicy,
		ObjectMeta: objectMeta(ns, name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if from != nil {
		np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: from}}
	}
	return np
}
