package rules

import "github.com/meshwright/meshwright/schema"

func (c *tenantChecker) checkEgress() {
	gws := c.mesh.Spec.Gateways.Egress
	seen := map[string]bool{}
	for i, e := range c.tenant.Spec.Egress {
		path := schema.Path{"spec", "egress"}.Child(i)
		c.checkEntry(path, "egress", e.Namespace, e.Name, seen)
		switch {
		case len(gws) == 0:
			c.error(schema.CodeNoEgressGateway, path, "egress needs an egress gateway: the Mesh defines none in spec.gateways.egress")
		case findGateway(gws, e.Gateway) == nil:
			c.error(schema.CodeUnknownGateway, path.Child("gateway"), "unknown egress gateway %q (the Mesh defines: %s)", e.Gateway, gatewayNames(gws))
		}
		if e.TLS == schema.TLSMutual && c.mesh.Spec.Certificates == nil {
			c.error(schema.CodeTLSWithoutIssuer, path.Child("tls"), "tls MUTUAL needs a client certificate issuer: the Mesh has no spec.certificates")
		}
		if prev, dup := c.claims.egressHosts.claim(e.Host, c.tenant, path.Child("host")); dup {
			c.conflict(schema.CodeEgressHostTaken, prev, path.Child("host"), e.Host, "egress to host %q is already defined by %s", "egress to host %q is also defined by %s")
		}
	}
}
