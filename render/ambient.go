package render

import (
	"fmt"
	"slices"

	security "istio.io/api/security/v1beta1"
	istiotype "istio.io/api/type/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// Ambient namespaces (dataplane: ambient) have no sidecars: ztunnel on each
// node carries their traffic over HBONE (port 15008) and enforces L4
// policies; a waypoint in the namespace handles what needs L7. What the
// pinned Istio (1.31) does, cited in the README, "Ambient data plane":
//   - ztunnel enforces only L4 rules; an ALLOW rule with L7 fields is
//     dropped (allowing less than written), so L7 policies go to the
//     waypoint, bound with targetRefs: waypoints ignore selectors;
//   - behind a waypoint the destination's ztunnel sees the waypoint's
//     identity, so the namespace admits it, and the waypoint itself denies
//     all that no policy bound to it admits;
//   - ingress gateways skip waypoints unless the namespace says
//     istio.io/ingress-use-waypoint, and sidecars always skip them (istiod
//     sends only routers there): their callers' L4 rules stay at ztunnel;
//   - the CNI enrolls a namespace labelled istio.io/dataplane-mode, and the
//     injection webhook still injects sidecars where istio.io/rev is set:
//     an ambient namespace has no revision label; its waypoint has;
//   - kubelet probes reach ambient pods from 169.254.7.127 (the CNI's SNAT);
//   - Sidecar resources do not apply.

// Labels and names of the ambient data plane.
const (
	LabelDataplaneMode      = "istio.io/dataplane-mode"
	LabelUseWaypoint        = "istio.io/use-waypoint"
	LabelIngressUseWaypoint = "istio.io/ingress-use-waypoint"
	labelWaypointFor        = "istio.io/waypoint-for"
	labelGatewayName        = "gateway.networking.k8s.io/gateway-name"
	// waypointName is the waypoint Gateway of a namespace, the name istiod
	// deploys it (and its service account) under: class istio-waypoint
	// adds no suffix.
	waypointName = "waypoint"
	// waypointClass is the GatewayClass istiod serves waypoints with.
	waypointClass = "istio-waypoint"
	// hbonePort is where ztunnel and waypoints receive mesh traffic.
	hbonePort = 15008
	// probeSource is the address kubelet probes reach ambient pods from.
	probeSource = "169.254.7.127/32"
)

func isAmbient(ns spec.Namespace) bool { return ns.Dataplane == spec.DataplaneAmbient }

// anyAmbient tells whether a namespace of any tenant is ambient: the control
// plane then installs ztunnel and proxies speak HBONE.
func anyAmbient(s *spec.Spec) bool {
	if s.Mesh.Spec.Dataplane == spec.DataplaneAmbient {
		return true
	}
	for _, t := range s.Tenants {
		if slices.ContainsFunc(t.Spec.Namespaces, isAmbient) {
			return true
		}
	}
	return false
}

// hasWaypoint tells whether an ambient namespace needs L7: a service there
// is exposed (its routes), has JWT claims or subsets, or an egress entry
// routes from there to an egress gateway.
func hasWaypoint(t *spec.Tenant, ns spec.Namespace) bool {
	if !isAmbient(ns) {
		return false
	}
	for _, s := range t.Spec.Services {
		if s.Namespace == ns.Name && (s.Ingress != nil || s.Authorization != nil || len(s.Subsets) > 0) {
			return true
		}
	}
	return slices.ContainsFunc(t.Spec.Egress, func(e spec.Egress) bool { return e.Namespace == ns.Name })
}

// namespaceLabels are a tenant namespace's labels: the revision that
// injects its sidecars, or the ambient data plane (and its waypoint, which
// ingress gateways use too).
func namespaceLabels(t *spec.Tenant, ns spec.Namespace, waypoint bool) map[string]string {
	labels := map[string]string{LabelTenant: t.Metadata.Name}
	switch {
	case waypoint:
		labels[LabelUseWaypoint] = waypointName
		labels[LabelIngressUseWaypoint] = "true"
		fallthrough
	case isAmbient(ns):
		labels[LabelDataplaneMode] = string(spec.DataplaneAmbient)
	default:
		labels[LabelRevision] = ns.Revision
	}
	return labels
}

// waypoint is the namespace's waypoint, served by the namespace's revision
// for its services' traffic.
func waypoint(t *spec.Tenant, ns spec.Namespace) Object {
	meta := objectMeta(ns.Name, waypointName)
	meta.Labels = map[string]string{LabelRevision: ns.Revision, labelWaypointFor: "service"}
	return &gwapi.Gateway{
		TypeMeta:   typeKubernetesGateway,
		ObjectMeta: meta,
		Spec: gwapi.GatewaySpec{
			GatewayClassName: waypointClass,
			// set, so that istiod does not copy the Gateway's own labels and
			// annotations onto the waypoint it deploys (see kubernetesGateway)
			Infrastructure: &gwapi.GatewayInfrastructure{
				Labels:      map[gwapi.LabelKey]gwapi.LabelValue{LabelTenant: gwapi.LabelValue(t.Metadata.Name)},
				Annotations: map[gwapi.AnnotationKey]gwapi.AnnotationValue{AnnotationSource: gwapi.AnnotationValue(sourceOf(t.Kind, t.Metadata.Name))},
			},
			Listeners: []gwapi.Listener{{Name: "mesh", Port: hbonePort, Protocol: "HBONE"}},
		},
	}
}

// waypointAccess renders, for a namespace with a waypoint and either of the
// Mesh's deny-by-defaults, what keeps the namespace closed: the waypoint
// allows nothing no policy bound to it admits (with the network's
// deny-by-default alone too: the waypoint is reached from more places than
// each service's NetworkPolicies admit), the pods admit the waypoint
// (ztunnel sees its identity behind it), allowSameNamespace holds at the
// waypoint too, and the namespace's own workloads reach their egress
// entries through it.
func waypointAccess(m *spec.MeshSpec, t *spec.Tenant, ns spec.Namespace) []Object {
	objs := []Object{allowPolicy(m, ns.Name, "allow-nothing-at-waypoint", targeting(waypointTarget()))}
	if m.Security.DenyByDefault {
		objs = append(objs, allowPolicy(m, ns.Name, "allow-waypoint", namespaceWide, waypointRule(m, ns.Name)))
	}
	if ns.AllowSameNamespace {
		objs = append(objs, allowPolicy(m, ns.Name, "allow-same-namespace-at-waypoint", targeting(waypointTarget()), sameNamespace(ns.Name)))
	}
	for _, e := range t.Spec.Egress {
		if e.Namespace == ns.Name {
			objs = append(objs, allowPolicy(m, ns.Name, fitName("allow-egress-"+e.Name+"-at-waypoint", maxLabelValue),
				targeting([]*istiotype.PolicyTargetReference{{Group: "networking.istio.io", Kind: "ServiceEntry", Name: e.Name}}), sameNamespace(ns.Name)))
		}
	}
	return objs
}

// waypointRule admits the namespace's waypoint.
func waypointRule(m *spec.MeshSpec, ns string) *security.Rule {
	return &security.Rule{From: []*security.Rule_From{{Source: &security.Source{Principals: []string{principal(m, ns, waypointName)}}}}}
}

// ztunnelAllow is what the pods of a service behind a waypoint admit
// besides the waypoint: callers from sidecars, which do not go through
// waypoints (istiod sends only gateways there) but straight to the pods,
// where ztunnel reads these L4 rules. Without it a sidecar caller would be
// denied (under denyByDefault) or pass every rule the waypoint holds.
func ztunnelAllow(m *spec.MeshSpec, s spec.Service) Object {
	rules := []*security.Rule{waypointRule(m, s.Namespace)}
	if len(s.Callers) > 0 {
		rules = append(rules, callerRules(m, s, !m.Security.DenyByDefault)...)
	}
	return allowPolicy(m, s.Namespace, fitName(s.Name+"-at-ztunnel", maxLabelValue), selecting(map[string]string{LabelApp: s.Name}), rules...)
}

// waypoints are the tenant's namespaces that have a waypoint.
type waypoints map[string]bool

func waypointsOf(t *spec.Tenant) waypoints {
	w := waypoints{}
	for _, ns := range t.Spec.Namespaces {
		if hasWaypoint(t, ns) {
			w[ns.Name] = true
		}
	}
	return w
}

// binding applies a service's policies to its workloads, or behind a
// waypoint to the Service, for the waypoint to enforce: waypoints ignore
// selectors, and ztunnel would drop their L7 rules.
func (w waypoints) binding(s spec.Service) binding {
	if w[s.Namespace] {
		return targeting(serviceTarget(s))
	}
	return selecting(map[string]string{LabelApp: s.Name})
}

// waypointTarget binds a policy to the namespace's waypoint.
func waypointTarget() []*istiotype.PolicyTargetReference {
	return []*istiotype.PolicyTargetReference{{Group: gwapi.GroupName, Kind: "Gateway", Name: waypointName}}
}

// serviceTarget binds a policy to a Service, enforced by its waypoint.
func serviceTarget(s spec.Service) []*istiotype.PolicyTargetReference {
	return []*istiotype.PolicyTargetReference{{Group: "", Kind: "Service", Name: s.Name}}
}

// ambientNetworkPolicies admit, through a deny-by-default namespace, the
// kubelet's probes of ambient pods and the waypoint's HBONE hops: from the
// peers of the namespace's services to the waypoint, and from it to the pods.
func ambientNetworkPolicies(m *spec.MeshSpec, t *spec.Tenant, ns spec.Namespace, waypoint bool) []Object {
	objs := []Object{networkPolicy(ns.Name, "allow-kubelet-probes", []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: probeSource}}})}
	if !waypoint {
		return objs
	}
	waypointPods := &metav1.LabelSelector{MatchLabels: map[string]string{labelGatewayName: waypointName}}
	fromWaypoint := hbonePolicy(ns.Name, "allow-from-waypoint", []networkingv1.NetworkPolicyPeer{{PodSelector: waypointPods}})
	toWaypoint := hbonePolicy(ns.Name, "allow-to-waypoint", waypointPeers(m, t, ns))
	toWaypoint.Spec.PodSelector = *waypointPods
	return append(objs, fromWaypoint, toWaypoint)
}

// hbonePolicy admits the peers to the HBONE port of the namespace's pods.
func hbonePolicy(ns, name string, from []networkingv1.NetworkPolicyPeer) *networkingv1.NetworkPolicy {
	np := networkPolicy(ns, name, from).(*networkingv1.NetworkPolicy)
	port := intstr.FromInt32(hbonePort)
	np.Spec.Ingress[0].Ports = []networkingv1.NetworkPolicyPort{{Port: &port}}
	return np
}

// waypointPeers are who may reach the waypoint: the gateways' namespaces
// (ingress), its own namespace where allowSameNamespace or for its egress
// entries, and its services' callers' namespaces (ambient callers go
// through it).
func waypointPeers(m *spec.MeshSpec, t *spec.Tenant, ns spec.Namespace) []networkingv1.NetworkPolicyPeer {
	peers := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: m.ControlPlane.NamespaceLabels}}}
	egress := slices.ContainsFunc(t.Spec.Egress, func(e spec.Egress) bool { return e.Namespace == ns.Name })
	if ns.AllowSameNamespace || egress {
		peers = append(peers, networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{}})
	}
	var callers []string
	for _, s := range t.Spec.Services {
		if s.Namespace == ns.Name {
			for _, c := range s.Callers {
				callers = append(callers, c.Namespaces...)
			}
		}
	}
	slices.Sort(callers)
	if callers = slices.Compact(callers); len(callers) > 0 {
		peers = append(peers, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: LabelNamespaceName, Operator: metav1.LabelSelectorOpIn, Values: callers,
		}}}})
	}
	return peers
}

// registryOnlyWarnings warns, per ambient namespace, that the Mesh's
// REGISTRY_ONLY outbound policy does not hold there: sidecars enforce it,
// ztunnel does not (it forwards to any address), and a waypoint carries
// only registered services' traffic.
func registryOnlyWarnings(m *spec.MeshSpec, t *spec.Tenant) spec.Diagnostics {
	if m.ControlPlane.OutboundTrafficPolicy != spec.OutboundRegistryOnly {
		return nil
	}
	var diags spec.Diagnostics
	for i, ns := range t.Spec.Namespaces {
		if !isAmbient(ns) {
			continue
		}
		d := t.Origin.Locate(spec.SeverityWarning, spec.CodeRegistryOnlyAmbient, spec.Path{"spec", "namespaces"}.Child(i, "dataplane"),
			fmt.Sprintf("namespace %q is ambient: the Mesh's outboundTrafficPolicy REGISTRY_ONLY is not enforced there (ztunnel forwards to any address); restrict its egress with NetworkPolicies", ns.Name))
		d.Resource = sourceOf(t.Kind, t.Metadata.Name)
		diags = append(diags, d)
	}
	return diags
}
