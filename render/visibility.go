package render

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	spec "github.com/meshwright/meshwright/schema"
)

// calls maps a namespace to the services it may call in other namespaces,
// as Sidecar hosts (<namespace>/<service>.<namespace>.svc.cluster.local):
// the callee's callers, seen from the caller's side.
type calls map[string][]string

// callsOf reads every tenant's callers.
func callsOf(tenants []*spec.Tenant) calls {
	c := calls{}
	for _, t := range tenants {
		for _, s := range t.Spec.Services {
			host := s.Namespace + "/" + s.Name + "." + s.Namespace + ".svc.cluster.local"
			for _, caller := range s.Callers {
				for _, ns := range caller.Namespaces {
					c[ns] = append(c[ns], host)
				}
			}
		}
	}
	return c
}

// visibility renders, with the Mesh's visibility scoped, a Sidecar per
// tenant namespace: its proxies see exactly what the namespace may reach,
// so one tenant's services cost the others nothing, and a service that
// does not name a namespace as its caller is not even visible there.
func visibility(m *spec.MeshSpec, t *spec.Tenant, calls calls) []Object {
	if m.Visibility != spec.VisibilityScoped {
		return nil
	}
	var objs []Object
	for _, ns := range t.Spec.Namespaces {
		if isAmbient(ns) {
			continue // no sidecars to scope
		}
		objs = append(objs, &networkingv1.Sidecar{
			TypeMeta:   typeSidecar,
			ObjectMeta: objectMeta(ns.Name, "default"),
			Spec: networking.Sidecar{
				Egress: []*networking.IstioEgressListener{{Hosts: egressHosts(m, t, ns.Name, calls[ns.Name])}},
			},
		})
	}
	return objs
}

// egressHosts are what a namespace may reach: itself, the control plane,
// the egress gateways its entries use and their hosts, and the services
// that name it as a caller. Never */*.
func egressHosts(m *spec.MeshSpec, t *spec.Tenant, ns string, callees []string) []string {
	own := []string{"./*", m.ControlPlane.Namespace + "/*"}
	var more []string
	for _, e := range t.Spec.Egress {
		if e.Namespace != ns {
			continue
		}
		gw := findGateway(m.Gateways.Egress, e.Gateway)
		more = append(more, gw.Namespace+"/*", egressHostNamespace(e)+"/"+e.Host)
	}
	for _, h := range callees {
		if !strings.HasPrefix(h, ns+"/") { // its own namespace is ./*
			more = append(more, h)
		}
	}
	more = slices.DeleteFunc(more, func(h string) bool { return slices.Contains(own, h) || strings.HasPrefix(h, "./") })
	slices.Sort(more)
	return append(own, slices.Compact(more)...)
}

// egressHostNamespace is where an egress host is registered: the
// namespace of an in-cluster Service, or the entry's own (its ServiceEntry).
func egressHostNamespace(e spec.Egress) string {
	if e.Location == spec.LocationCluster {
		if name, rest, ok := strings.Cut(e.Host, "."); ok && name != "" {
			if ns, _, ok := strings.Cut(rest, "."); ok {
				return ns
			}
		}
	}
	return "."
}
