package render

import (
	networking "istio.io/api/networking/v1alpha3"
	istiotype "istio.io/api/type/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// egressGatewayPort is where sidecars reach the egress gateway, with Istio
// mutual TLS, whatever the destination port: the gateway's Service exposes
// 443 (https).
const egressGatewayPort = 443

// egressObjects sends one egress entry's traffic through the egress gateway:
// the application talks plain HTTP on port 80, the sidecar carries it to the
// gateway over Istio mTLS, and the gateway originates TLS (MUTUAL with a
// Vault client certificate, or SIMPLE) to the host.
//
// The objects in the tenant's namespace are exported only to that namespace
// (and, where the gateway needs them, to the gateway's), so one tenant's
// routing never applies to another tenant's workloads. The objects in the
// gateway namespace, shared by all tenants, carry the entry's namespace in
// their names and are exported to the gateway namespace only.
func egressObjects(m *spec.MeshSpec, e spec.Egress) []Object {
	gw := findGateway(m.Gateways.Egress, e.Gateway)
	if isGatewayAPI(gw) {
		return gatewayAPIEgress(e, gw)
	}
	objs := []Object{
		egressGatewayServer(e, gw),
		egressGatewayDestinationRule(e, gw),
		egressVirtualService(e, gw),
		originateTLS(e, gw),
	}
	if e.TLS == spec.TLSMutual {
		objs = append(objs, certificate(m.Certificates, gw.Namespace, clientCredential(e), e.Host,
			cmClientUsages...))
	}
	if e.Location == spec.LocationExternal {
		objs = append(objs, externalServiceEntry(e, gw))
	}
	return objs
}

// egressGatewayService is the egress gateway's Service host name.
func egressGatewayService(gw spec.Gateway) string {
	return gw.Name + "." + gw.Namespace + ".svc.cluster.local"
}

// meshGateway is Istio's name for "all sidecars" in a VirtualService.
const meshGateway = "mesh"

// egressGatewayServer accepts the host on the egress gateway, from sidecars
// only (Istio mutual TLS).
func egressGatewayServer(e spec.Egress, gw spec.Gateway) Object {
	return &networkingv1.Gateway{
		TypeMeta:   typeGateway,
		ObjectMeta: objectMeta(e.Namespace, egressGatewayName(e)),
		Spec: networking.Gateway{
			Selector: gw.Labels,
			Servers: []*networking.Server{{
				Hosts: []string{e.Host},
				Port:  &networking.Port{Number: egressGatewayPort, Name: "https", Protocol: "HTTPS"},
				Tls:   &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_ISTIO_MUTUAL},
			}},
		},
	}
}

// egressGatewayDestinationRule makes the tenant's sidecars reach the egress
// gateway with Istio mutual TLS, the host as SNI, in a subset named for the
// entry.
func egressGatewayDestinationRule(e spec.Egress, gw spec.Gateway) Object {
	return &networkingv1.DestinationRule{
		TypeMeta:   typeDestinationRule,
		ObjectMeta: objectMeta(e.Namespace, "egressgateway-for-"+e.Name),
		Spec: networking.DestinationRule{
			Host:     egressGatewayService(gw),
			ExportTo: []string{"."},
			Subsets: []*networking.Subset{{
				Name: e.Name,
				TrafficPolicy: &networking.TrafficPolicy{
					PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
						Port: &networking.PortSelector{Number: egressGatewayPort},
						Tls:  &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL, Sni: e.Host},
					}},
				},
			}},
		},
	}
}

// egressVirtualService routes the application's port-80 traffic to the
// egress gateway, and at the gateway on to the host's port. It is exported to
// the gateway's namespace too: the gateway must see its half.
func egressVirtualService(e spec.Egress, gw spec.Gateway) Object {
	gateway := egressGatewayName(e)
	return &networkingv1.VirtualService{
		TypeMeta:   typeVirtualService,
		ObjectMeta: objectMeta(e.Namespace, "direct-"+e.Name+"-through-egress-gateway"),
		Spec: networking.VirtualService{
			Hosts:    []string{e.Host},
			Gateways: []string{gateway, meshGateway},
			ExportTo: []string{".", gw.Namespace},
			Http: []*networking.HTTPRoute{
				{
					Match: []*networking.HTTPMatchRequest{{Gateways: []string{meshGateway}, Port: 80}},
					Route: []*networking.HTTPRouteDestination{{
						Destination: &networking.Destination{
							Host:   egressGatewayService(gw),
							Subset: e.Name,
							Port:   &networking.PortSelector{Number: egressGatewayPort},
						},
					}},
				},
				{
					Match: []*networking.HTTPMatchRequest{{Gateways: []string{gateway}, Port: egressGatewayPort}},
					Route: []*networking.HTTPRouteDestination{{
						Destination: &networking.Destination{Host: e.Host, Port: &networking.PortSelector{Number: uint32(e.Port)}},
					}},
				},
			},
		},
	}
}

// systemRoots is the CA bundle of the Istio proxy image (the operating
// system's roots), which a SIMPLE origination verifies the host against.
const systemRoots = "/etc/ssl/certs/ca-certificates.crt"

// originateTLS makes the egress gateway, and only it (selected by its
// labels, exported to its own namespace), open TLS to the host: MUTUAL
// presents the Vault client certificate and verifies the host against the
// Secret's ca.crt; SIMPLE verifies it against the proxy's system roots. The
// host must match the server certificate's subject alternative names. The
// workload selector also lets the credentialName apply should the rule ever
// reach a sidecar (Istio reads DestinationRule credentials for sidecars only
// from selector-scoped rules).
func originateTLS(e spec.Egress, gw spec.Gateway) Object {
	tls := &networking.ClientTLSSettings{
		Mode:            networking.ClientTLSSettings_SIMPLE,
		Sni:             e.Host,
		SubjectAltNames: []string{e.Host},
	}
	if e.TLS == spec.TLSMutual {
		tls.Mode = networking.ClientTLSSettings_MUTUAL
		tls.CredentialName = clientCredential(e) // its ca.crt verifies the host
	} else {
		// said, not implied: Istio's analyzers (IST0129) flag an origination
		// that names no CA, and a reviewer should see what is trusted
		tls.CaCertificates = systemRoots
	}
	return &networkingv1.DestinationRule{
		TypeMeta:   typeDestinationRule,
		ObjectMeta: objectMeta(gw.Namespace, "originate-tls-for-"+e.Namespace+"-"+e.Name),
		Spec: networking.DestinationRule{
			Host:             e.Host,
			ExportTo:         []string{"."},
			WorkloadSelector: &istiotype.WorkloadSelector{MatchLabels: gw.Labels},
			TrafficPolicy: &networking.TrafficPolicy{
				PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
					Port: &networking.PortSelector{Number: uint32(e.Port)},
					Tls:  tls,
				}},
			},
		},
	}
}

// externalServiceEntry puts a host outside the cluster into the registry
// (the mesh allows only registered hosts by default): port 80 where the
// application sends, the host's port where the gateway connects.
func externalServiceEntry(e spec.Egress, gw spec.Gateway) Object {
	return &networkingv1.ServiceEntry{
		TypeMeta:   typeServiceEntry,
		ObjectMeta: objectMeta(e.Namespace, e.Name),
		Spec: networking.ServiceEntry{
			Hosts:      []string{e.Host},
			ExportTo:   []string{".", gw.Namespace},
			Location:   networking.ServiceEntry_MESH_EXTERNAL,
			Resolution: networking.ServiceEntry_DNS,
			Ports: []*networking.ServicePort{
				{Number: 80, Name: "http", Protocol: "HTTP"},
				{Number: uint32(e.Port), Name: "https", Protocol: "HTTPS"},
			},
		},
	}
}
