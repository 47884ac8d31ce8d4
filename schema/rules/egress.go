package rules

import "github.com/meshwright/meshwright/schema"

func (c *tenantChecker) checkEgress() {
	gws := c.mesh.Spec.Gateways.Egress
	seen := map[string]bool{}
	for i, e := range c.tenant.Spec.Egress {
		path := schema.Path{"spec", "egress"}.Child(i)
		c.checkEntry(path, "egress", e.Namespace, e.Name, seen)
		switch gw := findGateway(gws, e.Gateway); {
		case len(gws) == 0:
			c.error(schema.CodeNoEgressGateway, path, "egress needs an egress gateway: the Mesh defines none in spec.gateways.egress")
		case gw == nil:
			c.error(schema.CodeUnknownGateway, path.Child("gateway"), "unknown egress gateway %q (the Mesh defines: %s)", e.Gateway, gatewayNames(gws))
		case gw.API == schema.GatewayAPIKubernetes:
			c.checkGatewayAPIEgress(path, e, gw.Name)
		}
		if e.Location == schema.LocationCluster && c.ambient(e.Namespace) {
			c.error(schema.CodeClusterEgressAmbient, path.Child("location"), "location cluster cannot be expressed from ambient namespace %q: a route on an in-cluster Service applies at its own namespace's waypoint, not the caller's, so the traffic would skip the egress gateway", e.Namespace)
		}
		if e.TLS == schema.TLSMutual && c.mesh.Spec.Certificates == nil {
			c.error(schema.CodeTLSWithoutIssuer, path.Child("tls"), "tls MUTUAL needs a client certificate issuer: the Mesh has no spec.certificates")
		}
		if prev, dup := c.claims.egressHosts.claim(e.Host, c.tenant, path.Child("host")); dup {
			c.conflict(schema.CodeEgressHostTaken, prev, path.Child("host"), e.Host, "egress to host %q is already defined by %s", "egress to host %q is also defined by %s")
		}
	}
}

// checkGatewayAPIEgress refuses what an entry's objects in its own
// namespace cannot express through a gateway-api egress gateway.
func (c *tenantChecker) checkGatewayAPIEgress(path schema.Path, e schema.Egress, gateway string) {
	if e.TLS == schema.TLSMutual {
		c.error(schema.CodeEgressOnGatewayAPI, path.Child("tls"), "tls MUTUAL cannot be expressed through gateway-api egress gateway %q: the gateway reads the client certificate only from its own namespace, which tenants do not write to; use tls SIMPLE or an api: istio egress gateway", gateway)
	}
	if e.Location == schema.LocationCluster {
		c.error(schema.CodeEgressOnGatewayAPI, path.Child("location"), "location cluster cannot be expressed through gateway-api egress gateway %q: the gateway reads the TLS origination of an in-cluster host only from its own namespace or the host's, not from this tenant's; use an api: istio egress gateway", gateway)
	}
}

// ambient tells whether one of the tenant's namespaces is ambient.
func (c *tenantChecker) ambient(ns string) bool {
	for _, n := range c.tenant.Spec.Namespaces {
		if n.Name == ns {
			return n.Dataplane == schema.DataplaneAmbient
		}
	}
	return false
}
