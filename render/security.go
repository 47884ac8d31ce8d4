package render

import (
	security "istio.io/api/security/v1beta1"
	istiotype "istio.io/api/type/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// meshSecurity renders the mesh-wide authentication policies.
func meshSecurity(m *spec.MeshSpec, ambient bool) []Object {
	objs := []Object{peerAuthentication(m)}
	if len(m.Security.JWT) == 0 {
		return objs
	}
	objs = append(objs, requestAuthentication(m))
	if ambient {
		objs = append(objs, waypointRequestAuthentication(m))
	}
	for _, gw := range m.Gateways.Ingress {
		if gw.RequireJWT {
			objs = append(objs, requireJWT(gw))
		}
	}
	return objs
}

// peerAuthentication sets the mesh-wide mTLS mode.
func peerAuthentication(m *spec.MeshSpec) Object {
	mode := security.PeerAuthentication_MutualTLS_STRICT
	if m.Security.MTLS == spec.MTLSPermissive {
		mode = security.PeerAuthentication_MutualTLS_PERMISSIVE
	}
	return &securityv1.PeerAuthentication{
		TypeMeta:   typePeerAuthentication,
		ObjectMeta: objectMeta(m.ControlPlane.Namespace, "default"),
		Spec: security.PeerAuthentication{
			Mtls: &security.PeerAuthentication_MutualTLS{Mode: mode},
		},
	}
}

// requestAuthentication validates JWTs from the Mesh's providers on every
// workload: in the root namespace and without a selector it applies
// mesh-wide. It rejects invalid tokens only; requests without one are
// refused by requireJWT and the services' claim policies.
func requestAuthentication(m *spec.MeshSpec) Object {
	ra := &securityv1.RequestAuthentication{
		TypeMeta:   typeRequestAuthentication,
		ObjectMeta: objectMeta(m.ControlPlane.Namespace, "reqauth-"+m.ControlPlane.Namespace),
	}
	for _, p := range m.Security.JWT {
		ra.Spec.JwtRules = append(ra.Spec.JwtRules, &security.JWTRule{
			Issuer:               p.Issuer,
			JwksUri:              p.JWKSURI,
			ForwardOriginalToken: p.ForwardOriginalToken,
		})
	}
	return ra
}

// waypointRequestAuthentication validates the same JWTs at every
// waypoint: waypoints take only policies bound to them, and one in the root
// namespace bound to the istio-waypoint class binds to all.
func waypointRequestAuthentication(m *spec.MeshSpec) Object {
	ra := requestAuthentication(m).(*securityv1.RequestAuthentication)
	ra.Name = "reqauth-waypoints"
	ra.Spec.TargetRefs = []*istiotype.PolicyTargetReference{{Group: gwapi.GroupName, Kind: "GatewayClass", Name: waypointClass}}
	return ra
}

// requireJWT denies, at one ingress gateway, every HTTP request that carries
// no valid JWT. It names the HTTP ports: a DENY on request principals alone
// would also drop all TCP traffic, such as SNI passthrough on 15443.
func requireJWT(gw spec.Gateway) Object {
	ap := &securityv1.AuthorizationPolicy{
		TypeMeta:   typeAuthorizationPolicy,
		ObjectMeta: objectMeta(gw.Namespace, gw.Name+"-require-jwt"),
		Spec: security.AuthorizationPolicy{
			Action: security.AuthorizationPolicy_DENY,
			Rules: []*security.Rule{{
				From: []*security.Rule_From{{Source: &security.Source{NotRequestPrincipals: []string{"*"}}}},
				To:   []*security.Rule_To{{Operation: &security.Operation{Ports: gatewayPorts(gw)}}},
			}},
		},
	}
	if isGatewayAPI(gw) {
		ap.Spec.TargetRefs = gatewayTarget(gw)
	} else {
		ap.Spec.Selector = &istiotype.WorkloadSelector{MatchLabels: gw.Labels}
	}
	return ap
}
