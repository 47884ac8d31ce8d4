package render

import (
	"slices"

	security "istio.io/api/security/v1beta1"
	istiotype "istio.io/api/type/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// access renders who may call a tenant's workloads, at the workload
// identity (AuthorizationPolicies) and at the network (NetworkPolicies for
// callers). With the Mesh's security.denyByDefault each tenant namespace
// denies everything and every path the spec opens gets its ALLOW: an ALLOW
// policy on a workload denies every request no ALLOW admits, so each
// allowed path needs its own.
func access(m *spec.MeshSpec, t *spec.Tenant, w waypoints) []Object {
	var objs []Object
	for _, ns := range t.Spec.Namespaces {
		if m.Security.DenyByDefault {
			objs = append(objs, allowNothing(m, ns.Name))
			if ns.AllowSameNamespace {
				objs = append(objs, allowPolicy(m, ns.Name, "allow-same-namespace", namespaceWide, sameNamespace(ns.Name)))
			}
		}
		if w[ns.Name] && (m.Security.DenyByDefault || m.NetworkPolicy.DenyByDefault) {
			objs = append(objs, waypointAccess(m, t, ns)...)
		}
	}
	for _, s := range t.Spec.Services {
		// a waypoint's reach is wider than its services' NetworkPolicies:
		// under the network's deny-by-default it holds their peers itself
		allowed := m.Security.DenyByDefault || len(s.Callers) > 0 || w[s.Namespace] && m.NetworkPolicy.DenyByDefault
		bind := w.binding(s)
		if s.Ingress != nil && s.Authorization == nil && allowed {
			objs = append(objs, ingressAllow(m, s, bind))
		}
		if len(s.Callers) > 0 {
			// the own-namespace rule of a policy without denyByDefault is
			// held at a waypoint only where the network admits it too
			own := !m.Security.DenyByDefault && (!w[s.Namespace] || !m.NetworkPolicy.DenyByDefault || sameNamespaceAllowed(t, s.Namespace))
			objs = append(objs, allowPolicy(m, s.Namespace, s.Name+"-callers", bind, callerRules(m, s, own)...))
			if isolated(m, t, s.Namespace) {
				objs = append(objs, callersNetworkPolicy(s))
			}
		}
		if w[s.Namespace] && (len(s.Callers) > 0 || !m.Security.DenyByDefault && s.Authorization != nil) {
			objs = append(objs, ztunnelAllow(m, s))
		}
	}
	return objs
}

// sameNamespace is the rule admitting a namespace's own workloads.
func sameNamespace(ns string) *security.Rule {
	return &security.Rule{From: []*security.Rule_From{{Source: &security.Source{Namespaces: []string{ns}}}}}
}

// binding sets which workloads a policy applies to.
type binding func(*securityv1.AuthorizationPolicy)

// namespaceWide applies a policy to every workload of its namespace.
func namespaceWide(*securityv1.AuthorizationPolicy) {}

// selecting applies a policy to the workloads with the labels.
func selecting(labels map[string]string) binding {
	return func(ap *securityv1.AuthorizationPolicy) {
		ap.Spec.Selector = &istiotype.WorkloadSelector{MatchLabels: labels}
	}
}

// targeting binds a policy to Gateways or Services (their waypoint).
func targeting(refs []*istiotype.PolicyTargetReference) binding {
	return func(ap *securityv1.AuthorizationPolicy) { ap.Spec.TargetRefs = refs }
}

// allowNothing denies every request to the namespace's workloads that no
// ALLOW policy admits: a policy without rules matches nothing.
func allowNothing(m *spec.MeshSpec, ns string) Object {
	return zeroTrustPolicy(m, ns, "allow-nothing")
}

// allowPolicy admits the rules' requests to the workloads bind applies it
// to (none: it allows nothing there).
func allowPolicy(m *spec.MeshSpec, ns, name string, bind binding, rules ...*security.Rule) Object {
	ap := zeroTrustPolicy(m, ns, name)
	ap.Spec.Action = security.AuthorizationPolicy_ALLOW
	ap.Spec.Rules = rules
	bind(ap)
	return ap
}

// zeroTrustPolicy is an empty AuthorizationPolicy of the zero-trust set, in
// dry run when the Mesh rolls zero trust out.
func zeroTrustPolicy(m *spec.MeshSpec, ns, name string) *securityv1.AuthorizationPolicy {
	meta := objectMeta(ns, name)
	if m.Security.DryRun {
		meta.Annotations = map[string]string{AnnotationDryRun: "true"}
	}
	return &securityv1.AuthorizationPolicy{TypeMeta: typeAuthorizationPolicy, ObjectMeta: meta}
}

// ingressAllow admits requests to an exposed service from its ingress
// gateway's identity. (With JWT claims, claimsPolicy is the ingress ALLOW.)
func ingressAllow(m *spec.MeshSpec, s spec.Service, bind binding) Object {
	gw := findGateway(m.Gateways.Ingress, s.Ingress.Gateway)
	return allowPolicy(m, s.Namespace, s.Name+"-ingress", bind, &security.Rule{
		From: []*security.Rule_From{{Source: &security.Source{Principals: []string{gatewayPrincipal(m, gw)}}}},
	})
}

// gatewayPrincipal is the workload identity of a gateway: installed from
// the IstioOperator or its Helm release its pods run as
// <name>-service-account, deployed by istiod for a Gateway API Gateway as
// <name>-istio.
func gatewayPrincipal(m *spec.MeshSpec, gw spec.Gateway) string {
	if isGatewayAPI(gw) {
		return principal(m, gw.Namespace, deployedName(gw))
	}
	return principal(m, gw.Namespace, gatewayServiceAccount(gw))
}

// gatewayServiceAccount is the account of an Istio-API gateway's pods: the
// IstioOperator's gateway chart names it so, and the gateway chart's
// release is told the same name, so policies hold whichever installs it.
func gatewayServiceAccount(gw spec.Gateway) string { return gw.Name + "-service-account" }

// principal is a workload identity as AuthorizationPolicies name it.
func principal(m *spec.MeshSpec, ns, serviceAccount string) string {
	return m.TrustDomain + "/ns/" + ns + "/sa/" + serviceAccount
}

// callerRules admit the service's callers: their service accounts, or
// their namespaces when they name none; and, with own, the service's own
// namespace, which could call it before the workload had an ALLOW policy
// (the policy's part without denyByDefault).
func callerRules(m *spec.MeshSpec, s spec.Service, own bool) []*security.Rule {
	var rules []*security.Rule
	for _, c := range s.Callers {
		source := &security.Source{Namespaces: c.Namespaces}
		if len(c.ServiceAccounts) > 0 {
			source = &security.Source{}
			for _, ns := range c.Namespaces {
				for _, sa := range c.ServiceAccounts {
					source.Principals = append(source.Principals, principal(m, ns, sa))
				}
			}
		}
		rules = append(rules, &security.Rule{From: []*security.Rule_From{{Source: source}}})
	}
	if own {
		rules = append(rules, sameNamespace(s.Namespace))
	}
	return rules
}

// sameNamespaceAllowed tells whether the tenant's namespace allows its
// own workloads.
func sameNamespaceAllowed(t *spec.Tenant, ns string) bool {
	i := slices.IndexFunc(t.Spec.Namespaces, func(n spec.Namespace) bool { return n.Name == ns })
	return i >= 0 && t.Spec.Namespaces[i].AllowSameNamespace
}

// callersNetworkPolicy admits the callers' namespaces to the service's pods
// through the namespace's deny-by-default NetworkPolicy.
func callersNetworkPolicy(s spec.Service) Object {
	var namespaces []string
	for _, c := range s.Callers {
		namespaces = append(namespaces, c.Namespaces...)
	}
	slices.Sort(namespaces)
	np := networkPolicy(s.Namespace, "allow-callers-"+s.Name, []networkingv1.NetworkPolicyPeer{{
		NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: LabelNamespaceName, Operator: metav1.LabelSelectorOpIn, Values: slices.Compact(namespaces),
		}}},
	}}).(*networkingv1.NetworkPolicy)
	np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{LabelApp: s.Name}}
	return np
}
