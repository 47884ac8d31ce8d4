package load

import (
	"slices"

	"github.com/meshwright/meshwright/schema"
)

// DefaultJWKSBlockedCIDRs are the link-local networks (cloud metadata
// services among them) istiod never fetches JWKS from unless the Mesh says
// otherwise.
var DefaultJWKSBlockedCIDRs = []string{"169.254.0.0/16", "fe80::/10"}

// applyDefaults fills the defaults that depend on another document (a
// Tenant's come from the Mesh), and the one list default CUE cannot state
// without garbling errors. The others live in the CUE schema.
func applyDefaults(spec *schema.Spec) {
	mesh := &spec.Mesh.Spec
	if mesh.Security.JWKSBlockedCIDRs == nil {
		mesh.Security.JWKSBlockedCIDRs = slices.Clone(DefaultJWKSBlockedCIDRs)
	}
	for _, t := range spec.Tenants {
		defaultTenant(mesh, &t.Spec)
	}
	defaultCallers(spec.Tenants)
}

// defaultCallers fills in the namespaces of callers that name none: all of
// the caller tenant's. A caller naming an unknown tenant is left as it is,
// for the rules to refuse.
func defaultCallers(tenants []*schema.Tenant) {
	namespaces := map[string][]string{}
	for _, t := range tenants {
		for _, ns := range t.Spec.Namespaces {
			namespaces[t.Metadata.Name] = append(namespaces[t.Metadata.Name], ns.Name)
		}
	}
	for _, t := range tenants {
		for i := range t.Spec.Services {
			for j := range t.Spec.Services[i].Callers {
				c := &t.Spec.Services[i].Callers[j]
				if len(c.Namespaces) == 0 {
					c.Namespaces = slices.Clone(namespaces[c.Tenant])
				}
			}
		}
	}
}

func defaultTenant(mesh *schema.MeshSpec, t *schema.TenantSpec) {
	if t.Revision == "" {
		t.Revision = mesh.ControlPlane.DefaultRevision
	}
	if t.Dataplane == "" {
		t.Dataplane = mesh.Dataplane
	}
	for i := range t.Namespaces {
		if t.Namespaces[i].Revision == "" {
			t.Namespaces[i].Revision = t.Revision
		}
		if t.Namespaces[i].Dataplane == "" {
			t.Namespaces[i].Dataplane = t.Dataplane
		}
	}
	for i := range t.Services {
		s := &t.Services[i]
		if s.Ingress == nil {
			continue
		}
		if s.Ingress.Gateway == "" && len(mesh.Gateways.Ingress) > 0 {
			s.Ingress.Gateway = mesh.Gateways.Ingress[0].Name
		}
		if s.Ingress.Host == "" {
			s.Ingress.Host = s.Name + "." + s.Namespace + "." + mesh.Domain
		}
	}
	for i := range t.Egress {
		e := &t.Egress[i]
		if e.Gateway == "" && len(mesh.Gateways.Egress) > 0 {
			e.Gateway = mesh.Gateways.Egress[0].Name
		}
	}
}
