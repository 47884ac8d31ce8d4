package conformance

import (
	"fmt"
	"slices"
	"strings"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/workloadapi/security"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// Ztunnel is what istiod gives the ztunnels of an ambient mesh to
// authorize with: the AuthorizationPolicies as its ambient index converts
// them (istio.security.Authorization, what ztunnel receives over xDS), each
// with the status Istio reports for it, such as the L7 rules it dropped.
type Ztunnel struct {
	policies []model.WorkloadAuthorization
}

// Ztunnel returns the ambient index's view of the cluster's policies; nil
// when the server does not serve ambient.
func (x *XDS) Ztunnel() *Ztunnel {
	if x.server.AmbientIndex == nil {
		return nil
	}
	return &Ztunnel{policies: x.server.AmbientIndex.Policies(nil)}
}

// Dropped lists the policies Istio converts only in part for ztunnel (an
// ALLOW or DENY rule with HTTP attributes), with Istio's message.
func (z *Ztunnel) Dropped() []string {
	var out []string
	for _, p := range z.policies {
		if s := p.Binding.Status; s != nil {
			out = append(out, fmt.Sprintf("AuthorizationPolicy %s/%s: %s", p.Authorization.GetNamespace(), p.Authorization.GetName(), s.Message))
		}
	}
	slices.Sort(out)
	return out
}

// Allows decides, in ztunnel's semantics, whether the pod's ztunnel admits
// a connection from identity (trust domain/ns/<namespace>/sa/<account>)
// to port, and whether it would with its dry-run policies enforced: a
// matching DENY policy denies; with any ALLOW policy applying, one must
// match. A policy applies globally (the root namespace), to its namespace,
// or to the pods its selector matches.
func (z *Ztunnel) Allows(pod *unstructured.Unstructured, identity string, port uint32) (allowed, dryRunAllowed bool, err error) {
	if allowed, err = z.allows(pod, identity, port, false); err != nil {
		return false, false, err
	}
	dryRunAllowed, err = z.allows(pod, identity, port, true)
	return allowed, dryRunAllowed, err
}

func (z *Ztunnel) allows(pod *unstructured.Unstructured, identity string, port uint32, dryRun bool) (bool, error) {
	ns, sa, ok := identityParts(identity)
	if !ok {
		return false, fmt.Errorf("identity %q is not <trust domain>/ns/<namespace>/sa/<account>", identity)
	}
	var allows int
	allowed := false
	for _, p := range z.policies {
		a := p.Authorization
		switch a.GetScope() {
		case security.Scope_NAMESPACE:
			if a.GetNamespace() != pod.GetNamespace() {
				continue
			}
		case security.Scope_WORKLOAD_SELECTOR:
			if a.GetNamespace() != pod.GetNamespace() || !labels.SelectorFromSet(p.Labels).Matches(labels.Set(pod.GetLabels())) {
				continue
			}
		}
		if a.GetDryRun() && !dryRun {
			continue
		}
		matched, err := policyMatches(a, identity, ns, sa, port)
		if err != nil {
			return false, err
		}
		switch a.GetAction() {
		case security.Action_DENY:
			if matched {
				return false, nil
			}
		default:
			allows++
			allowed = allowed || matched
		}
	}
	return allows == 0 || allowed, nil
}

// identityParts splits <trust domain>/ns/<namespace>/sa/<account>.
func identityParts(identity string) (ns, sa string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(identity, "spiffe://"), "/")
	if len(parts) != 5 || parts[1] != "ns" || parts[3] != "sa" {
		return "", "", false
	}
	return parts[2], parts[4], true
}

// policyMatches: any group matches; a group when all its rules do; a rule
// when any of its matches does; a match when each field it sets does.
func policyMatches(a *security.Authorization, identity, ns, sa string, port uint32) (bool, error) {
	for _, g := range a.GetGroups() {
		all := true
		for _, r := range g.GetRules() {
			any := false
			for _, m := range r.GetMatches() {
				ok, err := matches(m, strings.TrimPrefix(identity, "spiffe://"), ns, sa, port)
				if err != nil {
					return false, fmt.Errorf("%s/%s: %w", a.GetNamespace(), a.GetName(), err)
				}
				any = any || ok
			}
			all = all && any
		}
		if all && len(g.GetRules()) > 0 {
			return true, nil
		}
	}
	return false, nil
}

func matches(m *security.Match, principal, ns, sa string, port uint32) (bool, error) {
	if len(m.GetSourceIps())+len(m.GetNotSourceIps())+len(m.GetDestinationIps())+len(m.GetNotDestinationIps()) > 0 {
		return false, fmt.Errorf("address matches are not modelled")
	}
	anyString := func(list []*security.StringMatch, v string) bool {
		return slices.ContainsFunc(list, func(s *security.StringMatch) bool { return ztunnelStringMatches(s, v) })
	}
	anyAccount := func(list []*security.ServiceAccountMatch) bool {
		return slices.ContainsFunc(list, func(s *security.ServiceAccountMatch) bool {
			return s.GetNamespace() == ns && s.GetServiceAccount() == sa
		})
	}
	switch {
	case len(m.GetNamespaces()) > 0 && !anyString(m.GetNamespaces(), ns),
		anyString(m.GetNotNamespaces(), ns),
		len(m.GetPrincipals()) > 0 && !anyString(m.GetPrincipals(), principal),
		anyString(m.GetNotPrincipals(), principal),
		len(m.GetServiceAccounts()) > 0 && !anyAccount(m.GetServiceAccounts()),
		anyAccount(m.GetNotServiceAccounts()),
		len(m.GetDestinationPorts()) > 0 && !slices.Contains(m.GetDestinationPorts(), port),
		slices.Contains(m.GetNotDestinationPorts(), port):
		return false, nil
	}
	return true, nil
}

func ztunnelStringMatches(s *security.StringMatch, v string) bool {
	switch t := s.GetMatchType().(type) {
	case *security.StringMatch_Exact:
		return v == t.Exact
	case *security.StringMatch_Prefix:
		return strings.HasPrefix(v, t.Prefix)
	case *security.StringMatch_Suffix:
		return strings.HasSuffix(v, t.Suffix)
	case *security.StringMatch_Presence:
		return v != ""
	}
	return false
}
