package conformance

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ambientChecks follow the paths that start or end in an ambient namespace,
// where no sidecar decides: the destination's ztunnel authorizes with the
// policies istiod's ambient index converts for it (Ztunnel), from the
// caller's identity, or behind a waypoint from the waypoint's; a sidecar
// destination decides as elsewhere, for the caller's identity that
// ztunnel presents; through a waypoint (from gateways and ambient callers;
// sidecars go straight to the Pods), the waypoint's RBAC (istiod's
// configuration for it) for the caller, and the destination's ztunnel for
// the waypoint. Egress from an ambient namespace is followed through its
// waypoint.
type ambientChecks struct {
	m *meshUnderTest
	z *Ztunnel
}

// ambientChecks returns nil for a cluster without ambient namespaces.
func (m *meshUnderTest) ambientChecks() *ambientChecks {
	z := m.x.Ztunnel()
	if z == nil {
		return nil
	}
	return &ambientChecks{m: m, z: z}
}

func (a *ambientChecks) ambient(ns string) bool {
	return a.m.namespaces[ns]["istio.io/dataplane-mode"] == "ambient"
}

func (a *ambientChecks) waypoint(ns string) bool {
	return a.m.namespaces[ns]["istio.io/use-waypoint"] != ""
}

// viaWaypoint tells whether traffic from the source to a service of the
// namespace goes through the namespace's waypoint: istiod sends gateways
// there (the namespace says ingress-use-waypoint) and ztunnel ambient
// callers; sidecars go straight to the Pods.
func (a *ambientChecks) viaWaypoint(from Peer, ns string) bool {
	return a.waypoint(ns) && (from.Gateway != "" || a.ambient(from.Namespace))
}

// involves tells whether the source or the destination is ambient.
func (a *ambientChecks) involves(from Peer, s *ServiceRef, e *EgressRef) bool {
	return (from.Gateway == "" && a.ambient(from.Namespace)) || (s != nil && a.ambient(s.Namespace)) || (e != nil && a.ambient(e.Namespace))
}

// source is the identity and the Pod a path starts from.
func (a *ambientChecks) source(from Peer) (string, *unstructured.Unstructured, error) {
	if from.Gateway != "" {
		gw, _ := findGatewayRef(a.m.paths.IngressGateways, from.Gateway)
		p, err := a.m.gateway(gw)
		if err != nil {
			return "", nil, err
		}
		return p.Identity, p.Pod, nil
	}
	if pod := a.m.workload(from.Namespace); pod != nil {
		sa := serviceAccountOf(pod)
		if from.ServiceAccount != "" {
			sa = from.ServiceAccount
		}
		return a.m.paths.Principal(from.Namespace, sa), pod, nil
	}
	return "", nil, fmt.Errorf("namespace %s has no Pod", from.Namespace)
}

// decide returns, for each Pod of the service, whether it admits identity
// arriving from the source Pod (nil: a waypoint in between): its ztunnel or
// its sidecar for the RBAC, the NetworkPolicies for the network (the HBONE
// port when a waypoint or ztunnel delivers it).
func (a *ambientChecks) decide(s ServiceRef, identity string, src *unstructured.Unstructured) (map[string]bool, map[string]bool, error) {
	pods, ports, err := a.m.servicePods(s)
	if err != nil {
		return nil, nil, err
	}
	authz, network := map[string]bool{}, map[string]bool{}
	for _, pod := range pods {
		key := namespacedName(pod)
		if a.ambient(pod.GetNamespace()) {
			ok, dryOK, err := a.z.Allows(pod, identity, uint32(s.Port))
			if err != nil {
				return nil, nil, err
			}
			authz[key] = a.decided(ok, dryOK)
			network[key] = src == nil || admitted(a.m.objs, src, pod, a.m.namespaces, []string{"15008"})
			continue
		}
		to, err := a.m.x.ProxyOf(pod)
		if err != nil {
			return nil, nil, err
		}
		d, err := to.Authorize(Request{Host: s.Host(), Port: uint32(toInt(ports[0])), Principal: identity})
		if err != nil {
			return nil, nil, err
		}
		authz[key] = a.decided(d.Allowed, d.DryRunAllowed)
		network[key] = admitted(a.m.objs, src, pod, a.m.namespaces, ports)
	}
	return authz, network, nil
}

// decided is whether a decision admits, as the Mesh promises it: with its
// dry run, the policies are judged as if enforced.
func (a *ambientChecks) decided(allowed, dryRunAllowed bool) bool {
	if a.m.paths.Promises.DryRun {
		return dryRunAllowed
	}
	return allowed
}

func (a *ambientChecks) openProblems(p Path, checked map[string]int) []string {
	if p.Kind == EgressPath {
		// the namespace's waypoint carries it, as a sidecar would
		checked["open egress (ambient)"]++
		w, wp, err := a.waypointOf(p.Egress.Namespace)
		if err != nil {
			return []string{err.Error()}
		}
		identity, src, err := a.source(p.From)
		if err != nil {
			return []string{err.Error()}
		}
		var problems []string
		req := Request{Host: p.Egress.Host, Port: 80, Principal: identity}
		if d, err := w.AuthorizeAtWaypoint(p.Egress.Host, 80, req); err != nil {
			problems = append(problems, err.Error())
		} else if !d.Allowed || !d.DryRunAllowed {
			problems = append(problems, fmt.Sprintf("the waypoint denies %s: %s", identity, d))
		}
		if !admitted(a.m.objs, src, wp, a.m.namespaces, []string{"15008"}) {
			problems = append(problems, fmt.Sprintf("no NetworkPolicy of namespace %s admits Pod %s to the waypoint", p.Egress.Namespace, namespacedName(src)))
		}
		return append(problems, a.m.egressFrom(w, *p.Egress)...)
	}
	identity, src, err := a.source(p.From)
	if err != nil {
		return []string{err.Error()}
	}
	checked["open "+string(p.Kind)+" (ambient)"]++
	var problems []string
	if p.Kind == IngressPath {
		problems = append(problems, a.gatewayProblems(p)...)
	} else if from, err := a.m.sidecar(p.From.Namespace); err == nil {
		problems = append(problems, a.sidecarRouteProblems(from, *p.Service)...)
	}
	if a.viaWaypoint(p.From, p.Service.Namespace) {
		// the waypoint decides who reaches the service, and its identity
		// must reach the Pods
		w, wp, err := a.waypointOf(p.Service.Namespace)
		if err != nil {
			return []string{err.Error()}
		}
		req := a.request(p.From, *p.Service, identity, true)
		if d, err := w.AuthorizeAtWaypoint(p.Service.Host(), uint32(p.Service.Port), req); err != nil {
			problems = append(problems, err.Error())
		} else if !d.Allowed || !d.DryRunAllowed {
			problems = append(problems, fmt.Sprintf("the waypoint denies %s: %s", identity, d))
		}
		if p.Kind == IngressPath && len(p.Service.Claims) > 0 {
			req := a.request(p.From, *p.Service, identity, false)
			if d, err := w.AuthorizeAtWaypoint(p.Service.Host(), uint32(p.Service.Port), req); err != nil {
				problems = append(problems, err.Error())
			} else if d.Allowed && d.DryRunAllowed {
				problems = append(problems, fmt.Sprintf("the waypoint admits a token without the claims %v: %s", p.Service.Claims, d))
			}
		}
		if !admitted(a.m.objs, src, wp, a.m.namespaces, []string{"15008"}) {
			problems = append(problems, fmt.Sprintf("no NetworkPolicy of namespace %s admits Pod %s to the waypoint", p.Service.Namespace, namespacedName(src)))
		}
		identity, src = a.m.paths.Principal(p.Service.Namespace, "waypoint"), wp
	}
	authz, network, err := a.decide(*p.Service, identity, src)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, pod := range slices.Sorted(maps.Keys(authz)) {
		if !authz[pod] {
			problems = append(problems, fmt.Sprintf("Pod %s denies %s", pod, identity))
		}
		if !network[pod] {
			problems = append(problems, fmt.Sprintf("no NetworkPolicy of namespace %s admits Pod %s to Pod %s", p.Service.Namespace, namespacedName(src), pod))
		}
	}
	return problems
}

// gatewayProblems checks the ingress gateway's half of a path to an ambient
// service as for any other: it admits the client, presents the host's
// certificate, and routes the request to the service's clusters.
func (a *ambientChecks) gatewayProblems(p Path) []string {
	g, _ := findGatewayRef(a.m.paths.IngressGateways, p.From.Gateway)
	gw, err := a.m.gateway(g)
	if err != nil {
		return []string{err.Error()}
	}
	req := a.m.ingressRequest(*p.Service, true)
	return append(a.m.gatewayAdmitsProblems(gw, g, req), routeProblems(gw, req, p.Service.Host())...)
}

// sidecarRouteProblems checks that a sidecar caller routes to the ambient
// service's clusters (which carry it over HBONE, to the waypoint or the Pods).
func (a *ambientChecks) sidecarRouteProblems(from *Proxy, s ServiceRef) []string {
	return routeProblems(from, Request{Host: s.Host(), Port: uint32(s.Port)}, s.Host())
}

// routeProblems checks that the proxy routes the request to clusters of
// the host only.
func routeProblems(from *Proxy, req Request, host string) []string {
	route, err := from.Route(req)
	if err != nil {
		return []string{err.Error()}
	}
	if !route.Open() {
		return []string{fmt.Sprintf("%s does not route %s:%d to a cluster: %s", from, req.Host, req.Port, route)}
	}
	var problems []string
	for _, c := range route.Clusters {
		if clusterHost(c) != host {
			problems = append(problems, fmt.Sprintf("%s routes %s to cluster %s, not one of %s", from, req.Host, c, host))
		}
	}
	return problems
}

// request is what reaches the service from the source: through an ingress
// gateway the client's request (with a token of the service's claims, or
// without them), else a plain request to the service.
func (a *ambientChecks) request(from Peer, s ServiceRef, identity string, claims bool) Request {
	req := Request{Host: s.Host(), Port: uint32(s.Port), Principal: identity}
	if from.Gateway != "" && s.Ingress != nil {
		req = a.m.ingressRequest(s, claims)
		req.Host, req.Port, req.SNI, req.Principal = s.Host(), uint32(s.Port), "", identity
	}
	return req
}

func (a *ambientChecks) closedProblems(c closedPair, checked map[string]int) []string {
	if c.egress != nil {
		if c.from.Gateway != "" || !a.ambient(c.from.Namespace) {
			checked["closed egress"]++
			return a.m.closedProblems(c)
		}
		if !a.waypoint(c.from.Namespace) {
			// ztunnel forwards what the pod sends; nothing of the spec
			// routes it to the egress gateway, which is what is checked
			checked["closed egress: no waypoint, ztunnel passes it on"]++
			return nil
		}
		checked["closed egress (ambient)"]++
		w, _, err := a.waypointOf(c.from.Namespace)
		if err != nil {
			return []string{err.Error()}
		}
		return a.m.egressClosedProblems(w, c)
	}
	identity, src, err := a.source(c.from)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if a.viaWaypoint(c.from, c.service.Namespace) {
		w, wp, err := a.waypointOf(c.service.Namespace)
		if err != nil {
			return []string{err.Error()}
		}
		for _, layer := range c.layers {
			if layer == "route" || layer == "visibility" {
				problems = append(problems, a.sourceLayer(c, layer, checked)...)
				continue
			}
			checked["closed "+layer+" (ambient)"]++
			req := a.request(c.from, *c.service, identity, true)
			switch layer {
			case "authorization":
				d, err := w.AuthorizeAtWaypoint(c.service.Host(), uint32(c.service.Port), req)
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case a.decided(d.Allowed, d.DryRunAllowed):
					problems = append(problems, fmt.Sprintf("the waypoint admits %s: %s", identity, d))
				}
				// nor may the caller skip the waypoint to the Pods' addresses
				authz, _, err := a.decide(*c.service, identity, nil)
				if err != nil {
					return append(problems, err.Error())
				}
				for pod, allowed := range authz {
					if allowed {
						problems = append(problems, fmt.Sprintf("Pod %s admits %s past the waypoint", pod, identity))
					}
				}
			case "network":
				// the waypoint is reached from more places than the
				// service's NetworkPolicies admit (its other services'
				// callers, the namespace's egress): where L3 lets the
				// source in, the waypoint must refuse it
				if !admitted(a.m.objs, src, wp, a.m.namespaces, []string{"15008"}) {
					continue
				}
				d, err := w.AuthorizeAtWaypoint(c.service.Host(), uint32(c.service.Port), req)
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case a.decided(d.Allowed, d.DryRunAllowed):
					problems = append(problems, fmt.Sprintf("Pod %s reaches the waypoint, which admits %s: %s", namespacedName(src), identity, d))
				}
			}
		}
		return problems
	}
	authz, network, err := a.decide(*c.service, identity, src)
	if err != nil {
		return []string{err.Error()}
	}
	for _, layer := range c.layers {
		switch layer {
		case "authorization", "network":
			checked["closed "+layer+" (ambient)"]++
			for pod, allowed := range authz {
				if layer == "network" {
					allowed = network[pod]
				}
				if allowed {
					problems = append(problems, fmt.Sprintf("Pod %s admits %s (%s)", pod, identity, layer))
				}
			}
		default:
			problems = append(problems, a.sourceLayer(c, layer, checked)...)
		}
	}
	return problems
}

// sourceLayer checks the layers a source closes itself, as elsewhere: a
// gateway's routes, a sidecar's visibility; an ambient source has no Sidecar
// to scope what it sees.
func (a *ambientChecks) sourceLayer(c closedPair, layer string, checked map[string]int) []string {
	if c.from.Gateway == "" && a.ambient(c.from.Namespace) {
		checked["closed "+layer+": no sidecar in ambient"]++
		return nil
	}
	checked["closed "+layer]++
	return a.m.closedProblems(closedPair{from: c.from, service: c.service, layers: []string{layer}})
}

// waypointOf returns the proxy and the Pod of a namespace's waypoint.
func (a *ambientChecks) waypointOf(ns string) (*Proxy, *unstructured.Unstructured, error) {
	pod := a.waypointPod(ns)
	if pod == nil {
		return nil, nil, fmt.Errorf("namespace %s has no waypoint Pod", ns)
	}
	p, err := a.m.x.ProxyOf(pod)
	return p, pod, err
}

func (a *ambientChecks) waypointPod(ns string) *unstructured.Unstructured {
	for _, pod := range a.m.x.Pods(ns, map[string]string{"gateway.networking.k8s.io/gateway-name": "waypoint"}) {
		return pod
	}
	return nil
}
