package render

import (
	"sort"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// serviceObjects renders what every service gets, and for an exposed one
// what puts it on the edge.
func serviceObjects(mesh *spec.MeshSpec, t *spec.Tenant, s spec.Service, w waypoints) []Object {
	objs := []Object{destinationRule(s)}
	if s.Ingress == nil {
		return objs
	}
	gw := findGateway(mesh.Gateways.Ingress, s.Ingress.Gateway)
	if isGatewayAPI(gw) {
		objs = append(objs, gatewayAPIIngress(mesh, s, gw)...)
	} else {
		objs = append(objs, istioIngress(mesh, s, gw)...)
	}
	if isolated(mesh, t, s.Namespace) && !w[s.Namespace] {
		// only where the pods are isolated: a NetworkPolicy that selects a
		// pod isolates it, and would cut off everyone else (with a
		// waypoint the gateway reaches the waypoint, not the pods)
		objs = append(objs, allowFromIstioNamespace(mesh, s))
	}
	if s.Authorization != nil {
		objs = append(objs, claimsPolicy(mesh, s, gw, w.binding(s)))
	}
	return objs
}

// istioIngress puts a service on an Istio-API gateway: its Gateway and
// VirtualService in the service's namespace, its certificate (and client CA
// bundle) in the gateway's, where the gateway reads credentialName from.
func istioIngress(mesh *spec.MeshSpec, s spec.Service, gw spec.Gateway) []Object {
	objs := []Object{ingressGateway(s, gw), virtualService(s)}
	if s.Ingress.TLS != spec.TLSNone {
		objs = append(objs, serverCertificate(mesh, s, gw))
	}
	if s.Ingress.TLS == spec.TLSMutual && mesh.Certificates.ClientCA != nil {
		objs = append(objs, clientCABundle(mesh.Certificates.ClientCA, credentialName(s), gw.Namespace))
	}
	return objs
}

func findGateway(list []spec.Gateway, name string) spec.Gateway {
	for _, g := range list {
		if g.Name == name {
			return g
		}
	}
	panic("render: gateway " + name + " not in the Mesh; schema checks guarantee it is")
}

// destinationRule makes clients use Istio's mutual TLS towards the service
// and names its subsets.
func destinationRule(s spec.Service) Object {
	dr := &networkingv1.DestinationRule{
		TypeMeta:   typeDestinationRule,
		ObjectMeta: objectMeta(s.Namespace, s.Name),
		Spec: networking.DestinationRule{
			Host: s.Name,
			TrafficPolicy: &networking.TrafficPolicy{
				Tls: &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL},
			},
		},
	}
	for _, sub := range s.Subsets {
		dr.Spec.Subsets = append(dr.Spec.Subsets, &networking.Subset{Name: sub.Name, Labels: sub.Labels})
	}
	return dr
}

// ingressGateway opens the service's host on its ingress gateway: plain
// HTTP on 80, or HTTPS on 443 terminated with the service's certificate.
func ingressGateway(s spec.Service, gw spec.Gateway) Object {
	server := &networking.Server{
		Hosts: []string{s.Ingress.Host},
		Port:  &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"},
	}
	if s.Ingress.TLS != spec.TLSNone {
		mode := networking.ServerTLSSettings_SIMPLE
		if s.Ingress.TLS == spec.TLSMutual {
			mode = networking.ServerTLSSettings_MUTUAL
		}
		server.Port = &networking.Port{Number: 443, Name: "https", Protocol: "HTTPS"}
		server.Tls = &networking.ServerTLSSettings{Mode: mode, CredentialName: credentialName(s)}
	}
	return &networkingv1.Gateway{
		TypeMeta:   typeGateway,
		ObjectMeta: objectMeta(s.Namespace, gatewayName(s)),
		Spec: networking.Gateway{
			Selector: gw.Labels,
			Servers:  []*networking.Server{server},
		},
	}
}

// virtualService routes the host's matching paths from the gateway to the
// service.
func virtualService(s spec.Service) Object {
	route := &networking.HTTPRoute{
		Route: []*networking.HTTPRouteDestination{{
			Destination: &networking.Destination{Host: s.Name, Port: &networking.PortSelector{Number: uint32(s.Port)}},
		}},
	}
	for _, r := range s.Ingress.Routes {
		route.Match = append(route.Match, &networking.HTTPMatchRequest{Uri: uriMatch(r)})
	}
	return &networkingv1.VirtualService{
		TypeMeta:   typeVirtualService,
		ObjectMeta: objectMeta(s.Namespace, s.Name),
		Spec: networking.VirtualService{
			Hosts:    []string{s.Ingress.Host},
			Gateways: []string{gatewayName(s)},
			Http:     []*networking.HTTPRoute{route},
		},
	}
}

func uriMatch(r spec.Route) *networking.StringMatch {
	switch {
	case r.Exact != "":
		return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: r.Exact}}
	case r.Prefix != "":
		return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: r.Prefix}}
	default:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: r.Regex}}
	}
}

// allowFromIstioNamespace admits traffic from the gateways' namespaces to the
// service's pods, through the namespace's deny-by-default.
func allowFromIstioNamespace(mesh *spec.MeshSpec, s spec.Service) Object {
	np := networkPolicy(s.Namespace, "allow-from-istio-namespace-"+s.Name, []k8snetworkingv1.NetworkPolicyPeer{{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: mesh.ControlPlane.NamespaceLabels},
	}}).(*k8snetworkingv1.NetworkPolicy)
	np.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{LabelApp: s.Name}}
	return np
}

// claimsPolicy allows requests to the service only from its ingress
// gateway's namespace and only with the JWT claims given; with an ALLOW
// policy in place, everything else is denied.
func claimsPolicy(m *spec.MeshSpec, s spec.Service, gw spec.Gateway, bind binding) Object {
	rule := &security.Rule{
		From: []*security.Rule_From{{Source: &security.Source{Namespaces: []string{gw.Namespace}}}},
	}
	claims := make([]string, 0, len(s.Authorization.Claims))
	for claim := range s.Authorization.Claims {
		claims = append(claims, claim)
	}
	sort.Strings(claims)
	for _, claim := range claims {
		rule.When = append(rule.When, &security.Condition{
			Key:    "request.auth.claims[" + claim + "]",
			Values: s.Authorization.Claims[claim],
		})
	}
	return allowPolicy(m, s.Namespace, s.Name+"-allow", bind, rule)
}
