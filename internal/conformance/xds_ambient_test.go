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
// ztunnel presents. What a waypoint decides at L7 (the policies bound to
// its Services, JWT claims) and where it routes are not modelled: those
// checks are counted as such ("waypoint L7, not modelled") and logged.
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
	for _, pod := range a.m.x.Pods(from.Namespace, nil) {
		if pod.GetLabels()["gateway.networking.k8s.io/gateway-name"] != "" {
			continue // the waypoint
		}
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
			ok, err := a.z.Allows(pod, identity, uint32(s.Port))
			if err != nil {
				return nil, nil, err
			}
			authz[key] = ok
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
		authz[key] = d.Allowed && d.DryRunAllowed
		network[key] = admitted(a.m.objs, src, pod, a.m.namespaces, ports)
	}
	return authz, network, nil
}

func (a *ambientChecks) openProblems(p Path, checked map[string]int) []string {
	if p.Kind == EgressPath {
		checked["open egress: waypoint L7, not modelled"]++
		return nil
	}
	identity, src, err := a.source(p.From)
	if err != nil {
		return []string{err.Error()}
	}
	if a.waypoint(p.Service.Namespace) {
		// the waypoint decides who reaches the service (not modelled);
		// its identity must reach the Pods
		checked["open "+string(p.Kind)+": waypoint L7, not modelled"]++
		identity, src = a.m.paths.Principal(p.Service.Namespace, "waypoint"), a.waypointPod(p.Service.Namespace)
		if src == nil {
			return []string{fmt.Sprintf("namespace %s has no waypoint Pod", p.Service.Namespace)}
		}
	}
	checked["open "+string(p.Kind)+" (ambient)"]++
	authz, network, err := a.decide(*p.Service, identity, src)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
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

func (a *ambientChecks) closedProblems(c closedPair, checked map[string]int) []string {
	if c.egress != nil || a.waypoint(c.service.Namespace) {
		checked["closed: waypoint L7, not modelled"]++
		return nil
	}
	identity, src, err := a.source(c.from)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
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
		case "route":
			checked["closed route"]++
			problems = append(problems, a.m.closedProblems(closedPair{from: c.from, service: c.service, layers: []string{"route"}})...)
		default: // visibility: ambient sources have no Sidecar to scope
			checked["closed "+layer+": not in ambient"]++
		}
	}
	return problems
}

func (a *ambientChecks) waypointPod(ns string) *unstructured.Unstructured {
	for _, pod := range a.m.x.Pods(ns, map[string]string{"gateway.networking.k8s.io/gateway-name": "waypoint"}) {
		return pod
	}
	return nil
}
