package render_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	security "istio.io/api/security/v1beta1"
	istiotype "istio.io/api/type/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	k8snetworkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/meshwright/meshwright/internal/specgen"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

// TestSecurityProperties renders many generated valid specs (varied Mesh
// settings, names up to the length limits) and checks the invariants a
// platform's security rests on, whatever the input.
func TestSecurityProperties(t *testing.T) {
	const specs = 200
	for seed := int64(1); seed <= specs; seed++ {
		spec, err := load.Parse(specgen.Files(specgen.Options{Tenants: 4, Services: 6, Seed: seed})...)
		if err != nil {
			t.Fatalf("seed %d: generated spec is invalid: %v", seed, err)
		}
		objs, diags := render.Render(spec)
		if err := diags.Err(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, p := range properties {
			if err := p.check(spec, objs); err != nil {
				t.Errorf("seed %d: %s: %v", seed, p.name, err)
			}
		}
	}
}

var properties = []struct {
	name  string
	check func(*schema.Spec, []render.Object) error
}{
	{"every tenant namespace denies by default when the Mesh asks", denyByDefaultEverywhere},
	{"no ALLOW AuthorizationPolicy without a selector or with a wildcard", allowPoliciesAreScoped},
	{"tenant objects stay in the tenant's namespaces, or are edge objects in a gateway namespace", tenantObjectsStayHome},
	{"tenants are bound only to the edge ClusterRole in the control-plane namespace", tenantBindingsAreEdgeOnly},
	{"exposed hosts are unique", hostsAreUnique},
	{"names and labels are valid and within length limits", namesAreValid},
	{"a Sidecar never sees */*, nor another namespace's service that does not name it as a caller", sidecarsSeeOnlyTheirCallees},
	{"under deny-by-default every exposed service admits its ingress gateway", exposedServicesAdmitTheirGateway},
}

// sidecarsSeeOnlyTheirCallees: a namespace's Sidecar lists a service of
// another namespace only when that service names it as a caller.
func sidecarsSeeOnlyTheirCallees(spec *schema.Spec, objs []render.Object) error {
	allowed := map[string]bool{} // caller namespace + " " + host
	for _, t := range spec.Tenants {
		for _, s := range t.Spec.Services {
			for _, c := range s.Callers {
				for _, ns := range c.Namespaces {
					allowed[ns+" "+s.Namespace+"/"+s.Name+"."+s.Namespace+".svc.cluster.local"] = true
				}
			}
		}
	}
	services := map[string]bool{}
	for _, t := range spec.Tenants {
		for _, s := range t.Spec.Services {
			services[s.Namespace+"/"+s.Name+"."+s.Namespace+".svc.cluster.local"] = true
		}
	}
	for _, o := range objs {
		sc, ok := o.(*networkingv1.Sidecar)
		if !ok {
			continue
		}
		for _, l := range sc.Spec.Egress {
			for _, h := range l.Hosts {
				switch {
				case h == "*/*" || h == "*" || strings.HasPrefix(h, "*/"):
					return fmt.Errorf("Sidecar %s/%s sees %s", sc.Namespace, sc.Name, h)
				case services[h] && !allowed[sc.Namespace+" "+h]:
					return fmt.Errorf("Sidecar %s/%s sees %s, which does not name %s as a caller", sc.Namespace, sc.Name, h, sc.Namespace)
				}
			}
		}
	}
	return nil
}

// exposedServicesAdmitTheirGateway: with allow-nothing in its namespace, an
// exposed service needs an ALLOW naming its gateway (or the claims ALLOW
// from the gateway's namespace).
// appliesTo tells whether a policy applies to the service's workloads: by
// its selector, or bound to its Service (at the namespace's waypoint).
func appliesTo(ap *securityv1.AuthorizationPolicy, s schema.Service) bool {
	if ap.Spec.Selector.GetMatchLabels()[render.LabelApp] == s.Name {
		return true
	}
	return slices.ContainsFunc(ap.Spec.TargetRefs, func(r *istiotype.PolicyTargetReference) bool { return r.Kind == "Service" && r.Name == s.Name })
}

func exposedServicesAdmitTheirGateway(spec *schema.Spec, objs []render.Object) error {
	if !spec.Mesh.Spec.Security.DenyByDefault {
		return nil
	}
	for _, t := range spec.Tenants {
		for _, s := range t.Spec.Services {
			if s.Ingress == nil {
				continue
			}
			if !admitsGateway(spec, objs, s) {
				return fmt.Errorf("exposed service %s/%s has no ALLOW for its ingress gateway %s", s.Namespace, s.Name, s.Ingress.Gateway)
			}
		}
	}
	return nil
}

func admitsGateway(spec *schema.Spec, objs []render.Object, s schema.Service) bool {
	var gwNamespace, account string
	for _, gw := range spec.Mesh.Spec.Gateways.Ingress {
		if gw.Name == s.Ingress.Gateway {
			gwNamespace, account = gw.Namespace, gw.Name+"-service-account"
			if gw.API == schema.GatewayAPIKubernetes {
				account = gw.Name + "-istio"
			}
		}
	}
	principal := spec.Mesh.Spec.TrustDomain + "/ns/" + gwNamespace + "/sa/" + account
	for _, o := range objs {
		ap, ok := o.(*securityv1.AuthorizationPolicy)
		if !ok || ap.Namespace != s.Namespace || ap.Spec.Action != security.AuthorizationPolicy_ALLOW || !appliesTo(ap, s) {
			continue
		}
		for _, rule := range ap.Spec.Rules {
			for _, from := range rule.From {
				if slices.Contains(from.Source.GetPrincipals(), principal) || slices.Contains(from.Source.GetNamespaces(), gwNamespace) {
					return true
				}
			}
		}
	}
	return false
}

func sourceOf(o render.Object) string { return o.GetAnnotations()[render.AnnotationSource] }

func tenantNamespaces(spec *schema.Spec) map[string][]string {
	m := map[string][]string{}
	for _, t := range spec.Tenants {
		for _, ns := range t.Spec.Namespaces {
			m["Tenant/"+t.Metadata.Name] = append(m["Tenant/"+t.Metadata.Name], ns.Name)
		}
	}
	return m
}

func denyByDefaultEverywhere(spec *schema.Spec, objs []render.Object) error {
	if !spec.Mesh.Spec.NetworkPolicy.DenyByDefault {
		return nil
	}
	for _, nss := range tenantNamespaces(spec) {
		for _, ns := range nss {
			if !slices.ContainsFunc(objs, func(o render.Object) bool {
				np, ok := o.(*k8snetworkingv1.NetworkPolicy)
				return ok && np.Namespace == ns && np.Name == "deny-by-default" &&
					len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
					len(np.Spec.Ingress) == 0 && slices.Equal(np.Spec.PolicyTypes, []k8snetworkingv1.PolicyType{k8snetworkingv1.PolicyTypeIngress})
			}) {
				return fmt.Errorf("namespace %s has no deny-by-default NetworkPolicy", ns)
			}
		}
	}
	return nil
}

// onlyFromNamespace tells whether every rule of ap admits requests from its
// own namespace and nothing else.
func onlyFromNamespace(ap *securityv1.AuthorizationPolicy) bool {
	own := func(principal string) bool { return strings.Contains(principal, "/ns/"+ap.Namespace+"/sa/") }
	for _, rule := range ap.Spec.Rules {
		for _, from := range rule.GetFrom() {
			s := from.GetSource()
			byNamespace := slices.Equal(s.GetNamespaces(), []string{ap.Namespace}) && len(s.GetPrincipals()) == 0
			// the ambient namespace's waypoint: one of its own identities
			byPrincipal := len(s.GetNamespaces()) == 0 && len(s.GetPrincipals()) > 0 && !slices.ContainsFunc(s.GetPrincipals(), func(p string) bool { return !own(p) })
			if !(byNamespace || byPrincipal) || len(s.GetRequestPrincipals()) > 0 || len(rule.GetTo())+len(rule.GetWhen()) > 0 {
				return false
			}
		}
		if len(rule.GetFrom()) == 0 {
			return false
		}
	}
	return true
}

func allowPoliciesAreScoped(_ *schema.Spec, objs []render.Object) error {
	for _, o := range objs {
		ap, ok := o.(*securityv1.AuthorizationPolicy)
		if !ok || ap.Spec.Action != security.AuthorizationPolicy_ALLOW {
			continue
		}
		// namespace-wide ALLOWs: allow-nothing admits nothing, and a
		// same-namespace ALLOW admits only the namespace's own workloads
		// (bound to a Service or a waypoint with targetRefs, it is scoped)
		if len(ap.Spec.Selector.GetMatchLabels()) == 0 && len(ap.Spec.TargetRefs) == 0 && len(ap.Spec.Rules) > 0 && !onlyFromNamespace(ap) {
			return fmt.Errorf("ALLOW policy %s/%s has no selector and admits more than its own namespace", ap.Namespace, ap.Name)
		}
		for _, rule := range ap.Spec.Rules {
			if len(rule.From) == 0 {
				return fmt.Errorf("ALLOW policy %s/%s has a rule open to every source", ap.Namespace, ap.Name)
			}
			for _, from := range rule.From {
				s := from.Source
				for _, list := range [][]string{s.GetPrincipals(), s.GetRequestPrincipals(), s.GetNamespaces()} {
					if slices.Contains(list, "*") {
						return fmt.Errorf("ALLOW policy %s/%s allows a wildcard source", ap.Namespace, ap.Name)
					}
				}
				if len(s.GetPrincipals())+len(s.GetRequestPrincipals())+len(s.GetNamespaces()) == 0 {
					return fmt.Errorf("ALLOW policy %s/%s has an unrestricted source", ap.Namespace, ap.Name)
				}
			}
		}
	}
	return nil
}

// edgeKinds are what a tenant may have rendered into a shared gateway or
// control-plane namespace: its certificates, the egress gateway's TLS
// origination and its owners' edge RoleBinding.
var edgeKinds = []string{"Certificate", "DestinationRule", "RoleBinding"}

func tenantObjectsStayHome(spec *schema.Spec, objs []render.Object) error {
	owned := tenantNamespaces(spec)
	shared := []string{spec.Mesh.Spec.ControlPlane.Namespace}
	for _, gw := range spec.Mesh.Spec.Gateways.All() {
		shared = append(shared, gw.Namespace)
	}
	for _, o := range objs {
		src := sourceOf(o)
		mine, isTenant := owned[src]
		if !isTenant {
			continue
		}
		ns, kind := o.GetNamespace(), render.Kind(o)
		switch {
		case ns == "" && kind == "Namespace" && slices.Contains(mine, o.GetName()):
		case ns == "" && kind == "Bundle":
		case slices.Contains(mine, ns):
		case slices.Contains(shared, ns) && slices.Contains(edgeKinds, kind):
		default:
			return fmt.Errorf("%s renders %s %s/%s outside its namespaces %v", src, kind, ns, o.GetName(), mine)
		}
	}
	return nil
}

func tenantBindingsAreEdgeOnly(spec *schema.Spec, objs []render.Object) error {
	owned := tenantNamespaces(spec)
	for _, o := range objs {
		if _, isTenant := owned[sourceOf(o)]; !isTenant {
			continue
		}
		switch b := o.(type) {
		case *rbacv1.RoleBinding:
			if issuerGrant(spec, owned[sourceOf(o)], b.Namespace, b.Name) {
				continue
			}
			if b.Namespace != spec.Mesh.Spec.ControlPlane.Namespace || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != render.TenantEdgeRole {
				return fmt.Errorf("%s binds %s %s in %s", sourceOf(o), b.RoleRef.Kind, b.RoleRef.Name, b.Namespace)
			}
		case *rbacv1.Role:
			if issuerGrant(spec, owned[sourceOf(o)], b.Namespace, b.Name) && len(b.Rules) == 1 && slices.Equal(b.Rules[0].Resources, []string{"serviceaccounts/token"}) {
				continue
			}
			return fmt.Errorf("%s renders Role %s/%s", sourceOf(o), b.Namespace, b.Name)
		case *rbacv1.ClusterRoleBinding, *rbacv1.ClusterRole:
			return fmt.Errorf("%s renders %s %s", sourceOf(o), render.Kind(o), o.GetName())
		}
	}
	return nil
}

// issuerGrant: the Vault issuer's token request grant (to cert-manager)
// in one of the tenant's own namespaces, where its certificates for
// Gateway API listeners are issued.
func issuerGrant(spec *schema.Spec, owned []string, ns, name string) bool {
	c := spec.Mesh.Spec.Certificates
	return c != nil && slices.Contains(owned, ns) && name == c.Issuer.Name+"-tokenrequest"
}

func hostsAreUnique(_ *schema.Spec, objs []render.Object) error {
	seen := map[string]string{}
	claim := func(h, by string) error {
		if prev, dup := seen[h]; dup {
			return fmt.Errorf("host %s in %s and %s", h, by, prev)
		}
		seen[h] = by
		return nil
	}
	for _, o := range objs {
		switch g := o.(type) {
		case *networkingv1.Gateway:
			for _, server := range g.Spec.Servers {
				for _, h := range server.Hosts {
					if err := claim(h, "Gateway "+g.Namespace+"/"+g.Name); err != nil {
						return err
					}
				}
			}
		case *gwapi.ListenerSet:
			for _, l := range g.Spec.Listeners {
				if err := claim(string(*l.Hostname), "ListenerSet "+g.Namespace+"/"+g.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// labelLimited are kinds whose names controllers copy into label values, or
// (Gateway) that Istio requires to be DNS labels.
var labelLimited = []string{"Namespace", "Certificate", "Bundle", "Gateway"}

func namesAreValid(_ *schema.Spec, objs []render.Object) error {
	for _, o := range objs {
		kind, name := render.Kind(o), o.GetName()
		var errs []string
		switch {
		case kind == "Namespace":
			errs = validation.IsDNS1123Label(name)
		case kind == "ClusterRole" || kind == "RoleBinding" || kind == "Role":
			errs = path.IsValidPathSegmentName(name)
		default:
			errs = validation.IsDNS1123Subdomain(name)
		}
		if slices.Contains(labelLimited, kind) && len(name) > validation.LabelValueMaxLength {
			errs = append(errs, fmt.Sprintf("longer than a label value (%d)", len(name)))
		}
		if ns := o.GetNamespace(); ns != "" {
			errs = append(errs, validation.IsDNS1123Label(ns)...)
		}
		for k, v := range o.GetLabels() {
			errs = append(errs, validation.IsQualifiedName(k)...)
			errs = append(errs, validation.IsValidLabelValue(v)...)
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s %s/%s: %v", kind, o.GetNamespace(), name, errs)
		}
	}
	return nil
}
