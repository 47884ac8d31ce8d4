package rules

import (
	"maps"
	"slices"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

func (c *tenantChecker) checkServices() {
	mesh := c.mesh.Spec
	seen := map[string]bool{}
	for i, s := range c.tenant.Spec.Services {
		path := schema.Path{"spec", "services"}.Child(i)
		c.checkEntry(path, "service", s.Namespace, s.Name, seen)
		c.checkCallers(path, s.Callers)
		if s.Ingress == nil {
			if s.Authorization != nil {
				c.error(schema.CodeAuthorizationNoEdge, path.Child("authorization"), "authorization applies to requests through an ingress gateway: service %q has no ingress", s.Name)
			}
			continue
		}
		in := path.Child("ingress")
		switch gw := findGateway(mesh.Gateways.Ingress, s.Ingress.Gateway); {
		case gw == nil:
			c.error(schema.CodeUnknownGateway, in.Child("gateway"), "unknown ingress gateway %q (the Mesh defines: %s)", s.Ingress.Gateway, gatewayNames(mesh.Gateways.Ingress))
		case gw.API == schema.GatewayAPIKubernetes && s.Ingress.TLS == schema.TLSMutual:
			c.error(schema.CodeMutualOnGatewayAPI, in.Child("tls"), "tls MUTUAL cannot be expressed on gateway-api gateway %q: Gateway API validates client certificates per Gateway or per port, not per host, so this service's client CA would apply to every tenant's hosts; expose it on an api: istio gateway", gw.Name)
		}
		c.checkHost(in.Child("host"), s.Ingress.Host)
		if s.Ingress.TLS != schema.TLSNone && mesh.Certificates == nil {
			c.error(schema.CodeTLSWithoutIssuer, in.Child("tls"), "tls %s needs a certificate issuer: the Mesh has no spec.certificates", s.Ingress.TLS)
		}
		for j, r := range s.Ingress.Routes {
			if n := countSet(r.Exact, r.Prefix, r.Regex); n != 1 {
				c.error(schema.CodeRouteMatch, in.Child("routes", j), "a route sets exactly one of exact, prefix, regex (this one sets %d)", n)
			}
		}
	}
}

// checkCallers refuses callers that name a tenant that does not exist, or
// namespaces their tenant does not own.
func (c *tenantChecker) checkCallers(service schema.Path, callers []schema.Caller) {
	for i, caller := range callers {
		path := service.Child("callers", i)
		t, ok := c.tenants[caller.Tenant]
		if !ok {
			c.error(schema.CodeUnknownCaller, path.Child("tenant"), "unknown tenant %q (tenants: %s)", caller.Tenant, strings.Join(slices.Sorted(maps.Keys(c.tenants)), ", "))
			continue
		}
		owned := map[string]bool{}
		for _, ns := range t.Spec.Namespaces {
			owned[ns.Name] = true
		}
		for j, ns := range caller.Namespaces {
			if !owned[ns] {
				c.error(schema.CodeCallerNamespace, path.Child("namespaces", j), "namespace %q is not one of Tenant/%s's namespaces (%s)", ns, t.Metadata.Name, namespaceNames(t))
			}
		}
	}
}

// checkHost refuses a host another service exposes, or one outside the
// Mesh's domain.
func (c *tenantChecker) checkHost(path schema.Path, host string) {
	domain := c.mesh.Spec.Domain
	switch prev, dup := c.claims.hosts[host]; {
	case dup:
		c.conflict(schema.CodeHostTaken, prev, path, host, "host %q is already exposed by %s", "host %q is also exposed by %s")
	case !strings.HasSuffix(host, "."+domain):
		c.error(schema.CodeHostOutsideDomain, path, "host %q is outside the Mesh domain %q", host, domain)
	default:
		c.claims.hosts[host] = claim{c.tenant, path}
	}
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}
