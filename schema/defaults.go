package schema

// applyDefaults fills the defaults that depend on another document: a
// Tenant's defaults come from the Mesh. Defaults within one document live in
// the CUE schema.
func applyDefaults(spec *Spec) {
	mesh := &spec.Mesh.Spec
	for _, t := range spec.Tenants {
		defaultTenant(mesh, &t.Spec)
	}
}

func defaultTenant(mesh *MeshSpec, t *TenantSpec) {
	if t.Revision == "" {
		t.Revision = mesh.ControlPlane.DefaultRevision
	}
	for i := range t.Namespaces {
		if t.Namespaces[i].Revision == "" {
			t.Namespaces[i].Revision = t.Revision
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
