package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	securityapi "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// referenceProblems checks the references between objects that no Istio
// analyzer follows, in the assembled cluster (see assembleCluster):
//   - a MUTUAL Gateway's client CA, which Istio reads from the Secret
//     <credentialName>-cacert (key cacert or ca.crt) in the gateway's namespace;
//   - a DestinationRule's credentialName (TLS origination), a Secret in its
//     namespace;
//   - a Certificate's issuerRef, an Issuer in its namespace or a ClusterIssuer;
//   - a Vault Issuer's serviceAccountRef, a ServiceAccount in its namespace;
//   - a RoleBinding's roleRef, a rendered Role in its namespace or ClusterRole;
//   - a namespace's istio.io/rev, a revision or tag an injection webhook
//     serves: its Pods must have the sidecar;
//   - the network path from each ingress gateway to the workloads its routes
//     send to (networkPathProblems).
func referenceProblems(objs []*unstructured.Unstructured) []string {
	idx := indexByKind(objs)
	namespaces := namespaceLabels(objs)
	var problems []string
	for _, o := range objs {
		var p []string
		switch o.GetKind() {
		case "Pod":
			p = injectionProblems(o, namespaces[o.GetNamespace()])
		case "Gateway":
			p = gatewayCAProblems(o, objs, idx)
		case "DestinationRule":
			p = destinationRuleCredentialProblems(o, idx)
		case "Certificate":
			p = certificateIssuerProblems(o, idx)
		case "Issuer", "ClusterIssuer":
			p = issuerServiceAccountProblems(o, idx)
		case "RoleBinding", "ClusterRoleBinding":
			p = roleRefProblems(o, idx)
		}
		for _, msg := range p {
			problems = append(problems, fmt.Sprintf("%s %s: %s", o.GetKind(), namespacedName(o), msg))
		}
	}
	return append(problems, networkPathProblems(objs)...)
}

// indexByKind maps "Kind namespace/name" to the object.
func indexByKind(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	idx := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		idx[o.GetKind()+" "+namespacedName(o)] = o
	}
	return idx
}

func ref(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

func gatewayCAProblems(gw *unstructured.Unstructured, objs []*unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []string {
	selector, _, _ := unstructured.NestedStringMap(gw.Object, "spec", "selector")
	ns := podNamespace(objs, selector)
	servers, _, _ := unstructured.NestedSlice(gw.Object, "spec", "servers")
	var problems []string
	for _, s := range servers {
		tls, _, _ := unstructured.NestedMap(asMap(s), "tls")
		if tls["mode"] != "MUTUAL" || tls["credentialName"] == nil || ns == "" {
			continue
		}
		name := fmt.Sprint(tls["credentialName"]) + "-cacert"
		secret := idx[ref("Secret", ns, name)]
		if secret == nil {
			problems = append(problems, fmt.Sprintf("MUTUAL server's client CA: no Secret %s/%s", ns, name))
			continue
		}
		data, _, _ := unstructured.NestedMap(secret.Object, "data")
		if data["cacert"] == nil && data["ca.crt"] == nil {
			problems = append(problems, fmt.Sprintf("MUTUAL server's client CA: Secret %s/%s has neither cacert nor ca.crt", ns, name))
		}
	}
	return problems
}

// podNamespace is the namespace of the first Pod the selector matches, as
// Istio resolves a Gateway's credentials ("" when none matches: the
// analyzers report that).
func podNamespace(objs []*unstructured.Unstructured, selector map[string]string) string {
	for _, o := range objs {
		if o.GetKind() != "Pod" || len(selector) == 0 {
			continue
		}
		matches := true
		for k, v := range selector {
			if o.GetLabels()[k] != v {
				matches = false
			}
		}
		if matches {
			return o.GetNamespace()
		}
	}
	return ""
}

func destinationRuleCredentialProblems(dr *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []string {
	var problems []string
	for _, name := range credentialNames(dr.Object["spec"]) {
		if idx[ref("Secret", dr.GetNamespace(), name)] == nil {
			problems = append(problems, fmt.Sprintf("credentialName %s: no Secret in namespace %s", name, dr.GetNamespace()))
		}
	}
	return problems
}

// credentialNames returns every tls.credentialName under v.
func credentialNames(v any) []string {
	return collect(v, func(m map[string]any) any {
		tls, _ := m["tls"].(map[string]any)
		return tls["credentialName"]
	})
}

// collect walks a JSON value and returns, as strings, the non-nil values
// pick finds in each of its objects.
func collect(v any, pick func(map[string]any) any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if found := pick(x); found != nil {
			out = append(out, fmt.Sprint(found))
		}
		for _, child := range x {
			out = append(out, collect(child, pick)...)
		}
	case []any:
		for _, child := range x {
			out = append(out, collect(child, pick)...)
		}
	}
	return out
}

func certificateIssuerProblems(cert *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []string {
	issuer, _, _ := unstructured.NestedStringMap(cert.Object, "spec", "issuerRef")
	kind := firstNonEmpty(issuer["kind"], "Issuer")
	ns := cert.GetNamespace()
	if kind == "ClusterIssuer" {
		ns = ""
	}
	if idx[ref(kind, ns, issuer["name"])] == nil {
		return []string{fmt.Sprintf("issuerRef: no %s", ref(kind, ns, issuer["name"]))}
	}
	return nil
}

func issuerServiceAccountProblems(issuer *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []string {
	sa, found, _ := unstructured.NestedString(issuer.Object, "spec", "vault", "auth", "kubernetes", "serviceAccountRef", "name")
	if !found || issuer.GetNamespace() == "" {
		return nil
	}
	if idx[ref("ServiceAccount", issuer.GetNamespace(), sa)] == nil {
		return []string{fmt.Sprintf("serviceAccountRef: no ServiceAccount %s/%s", issuer.GetNamespace(), sa)}
	}
	return nil
}

func roleRefProblems(binding *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []string {
	roleRef, _, _ := unstructured.NestedStringMap(binding.Object, "roleRef")
	ns := binding.GetNamespace()
	if roleRef["kind"] == "ClusterRole" {
		ns = ""
	}
	if idx[ref(roleRef["kind"], ns, roleRef["name"])] == nil {
		return []string{fmt.Sprintf("roleRef: no %s", ref(roleRef["kind"], ns, roleRef["name"]))}
	}
	return nil
}

// injectionProblems reports a Pod without sidecar in a namespace that asks
// for a revision: no webhook of the install serves that revision or tag.
func injectionProblems(pod *unstructured.Unstructured, nsLabels map[string]string) []string {
	rev, ok := nsLabels["istio.io/rev"]
	if !ok || pod.GetLabels()["sidecar.istio.io/inject"] == "false" {
		return nil
	}
	containers, _, _ := unstructured.NestedSlice(pod.Object, "spec", "containers")
	for _, c := range containers {
		if asMap(c)["name"] == "istio-proxy" {
			return nil
		}
	}
	return []string{fmt.Sprintf("no sidecar: no injection webhook serves istio.io/rev=%s of namespace %s", rev, pod.GetNamespace())}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// TestReferenceProblemsCatchDanglingReferences proves each reference check
// can fail: the reference architecture's cluster, with the target of one
// reference removed.
func TestReferenceProblemsCatchDanglingReferences(t *testing.T) {
	bin := istioctl(t)
	cluster := assembleCluster(t, bin, "../../examples/reference-architecture/rendered")
	if p := referenceProblems(cluster); len(p) > 0 {
		t.Fatalf("unmutated cluster: %v", p)
	}
	cases := []struct{ remove, want string }{
		{"Secret istio-system/bookinfo-productpage-cert-cacert", "no Secret istio-system/bookinfo-productpage-cert-cacert"},
		{"Secret istio-system/sleep-nginx-client-credential", "credentialName sleep-nginx-client-credential: no Secret"},
		{"Issuer istio-system/vault-issuer", "issuerRef: no Issuer istio-system/vault-issuer"},
		{"ServiceAccount istio-system/issuer", "serviceAccountRef: no ServiceAccount istio-system/issuer"},
		{"ClusterRole meshwright:tenant-edge", "roleRef: no ClusterRole meshwright:tenant-edge"},
		{"NetworkPolicy bookinfo/allow-from-istio-namespace-productpage", "gateway Pod istio-system/istio-ingressgateway-0 cannot reach Pod bookinfo/productpage-v1-0"},
		{"Namespace istio-system", "gateway Pod istio-system/istio-ingressgateway-0 cannot reach Pod bookinfo/productpage-v1-0"},
	}
	t.Run("namespace revision no webhook serves", func(t *testing.T) {
		objs, webhooks := installedCluster(t, bin, "../../examples/reference-architecture/rendered")
		for _, o := range objs {
			if o.GetKind() == "Namespace" && o.GetName() == "bookinfo" {
				o.SetLabels(map[string]string{"istio.io/rev": "missing"})
			}
		}
		objs, err := withControllers(objs, webhooks)
		if err != nil {
			t.Fatal(err)
		}
		want := "no injection webhook serves istio.io/rev=missing of namespace bookinfo"
		if problems := strings.Join(referenceProblems(objs), "\n"); !strings.Contains(problems, want) {
			t.Fatalf("problems %q do not contain %q", problems, want)
		}
	})
	t.Run("ALLOW policy from another namespace", func(t *testing.T) {
		objs := make([]*unstructured.Unstructured, len(cluster))
		for i, o := range cluster {
			objs[i] = o
			if o.GetKind() == "AuthorizationPolicy" && o.GetName() == "productpage-allow" {
				objs[i] = o.DeepCopy()
				rules := []any{map[string]any{"from": []any{map[string]any{"source": map[string]any{"namespaces": []any{"elsewhere"}}}}}}
				_ = unstructured.SetNestedSlice(objs[i].Object, rules, "spec", "rules")
			}
		}
		want := "gateway Pod istio-system/istio-ingressgateway-0 is not allowed to Pod bookinfo/productpage-v1-0"
		if problems := strings.Join(referenceProblems(objs), "\n"); !strings.Contains(problems, want) {
			t.Fatalf("problems %q do not contain %q", problems, want)
		}
	})
	for _, c := range cases {
		t.Run(c.remove, func(t *testing.T) {
			var objs []*unstructured.Unstructured
			for _, o := range cluster {
				if o.GetKind()+" "+namespacedName(o) != c.remove {
					objs = append(objs, o)
				}
			}
			if len(objs) != len(cluster)-1 {
				t.Fatalf("%s is not in the cluster", c.remove)
			}
			if problems := strings.Join(referenceProblems(objs), "\n"); !strings.Contains(problems, c.want) {
				t.Fatalf("problems %q do not contain %q", problems, c.want)
			}
		})
	}
}

// networkPathProblems checks that the NetworkPolicies and the ALLOW
// AuthorizationPolicies let each ingress gateway reach the workloads its
// routes send to: deny-by-default must not cut the path the rendered Gateway
// and VirtualService open. For every
// VirtualService bound to a Gateway, every route destination that is a
// Service of the cluster, every gateway Pod and destination Pod, the
// destination's namespace must admit the gateway Pod (NetworkPolicy ingress
// semantics: allowed when no policy selects the Pod, else when a rule of one
// that does matches the peer and the Service's target port). Egress policies
// are not evaluated: one in the cluster is reported, so that this check is
// never silently partial.
func networkPathProblems(objs []*unstructured.Unstructured) []string {
	idx := indexByKind(objs)
	namespaces := namespaceLabels(objs)
	var problems []string
	for _, np := range ofKind(objs, "NetworkPolicy") {
		types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
		if contains(types, "Egress") {
			problems = append(problems, fmt.Sprintf("NetworkPolicy %s: egress policies are not evaluated by networkPathProblems: extend it", namespacedName(np)))
		}
	}
	for _, vs := range ofKind(objs, "VirtualService") {
		for _, gw := range boundGateways(vs, idx) {
			selector, _, _ := unstructured.NestedStringMap(gw.Object, "spec", "selector")
			for _, svc := range destinationServices(vs, idx) {
				for _, src := range podsSelected(objs, "", selector) {
					for _, dst := range podsSelected(objs, svc.GetNamespace(), serviceSelector(svc)) {
						if nsLabels := namespaces[dst.GetNamespace()]; nsLabels["istio.io/ingress-use-waypoint"] == "true" {
							// through the namespace's waypoint, over HBONE; what
							// it authorizes is the traffic checks' (ambientChecks)
							problems = append(problems, waypointHopProblems(objs, namespaces, vs, src, dst, nsLabels["istio.io/use-waypoint"])...)
							continue
						}
						ports := targetPorts(svc)
						if namespaces[dst.GetNamespace()]["istio.io/dataplane-mode"] == "ambient" {
							ports = []string{"15008"} // ztunnel delivers over HBONE
						}
						if !admitted(objs, src, dst, namespaces, ports) {
							problems = append(problems, fmt.Sprintf("VirtualService %s: gateway Pod %s cannot reach Pod %s of Service %s: no NetworkPolicy of namespace %s admits it",
								namespacedName(vs), namespacedName(src), namespacedName(dst), namespacedName(svc), dst.GetNamespace()))
						}
						if !authorized(objs, src, dst) {
							problems = append(problems, fmt.Sprintf("VirtualService %s: gateway Pod %s is not allowed to Pod %s of Service %s: no rule of the ALLOW AuthorizationPolicies selecting it admits the gateway's namespace or identity",
								namespacedName(vs), namespacedName(src), namespacedName(dst), namespacedName(svc)))
						}
					}
				}
			}
		}
	}
	return problems
}

// waypointHopProblems checks the two hops through an ambient namespace's
// waypoint: the gateway Pod to the waypoint's Pods, and those to the
// destination, both on the HBONE port.
func waypointHopProblems(objs []*unstructured.Unstructured, namespaces map[string]map[string]string, vs, src, dst *unstructured.Unstructured, waypoint string) []string {
	var problems []string
	waypoints := podsSelected(objs, dst.GetNamespace(), map[string]string{"gateway.networking.k8s.io/gateway-name": waypoint})
	if len(waypoints) == 0 {
		return []string{fmt.Sprintf("VirtualService %s: namespace %s sends through waypoint %s, which has no Pod", namespacedName(vs), dst.GetNamespace(), waypoint)}
	}
	for _, w := range waypoints {
		for _, hop := range [][2]*unstructured.Unstructured{{src, w}, {w, dst}} {
			if !admitted(objs, hop[0], hop[1], namespaces, []string{"15008"}) {
				problems = append(problems, fmt.Sprintf("VirtualService %s: Pod %s cannot reach Pod %s on the HBONE port: no NetworkPolicy of namespace %s admits it",
					namespacedName(vs), namespacedName(hop[0]), namespacedName(hop[1]), hop[1].GetNamespace()))
			}
		}
	}
	return problems
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// boundGateways returns the Gateways a VirtualService binds to ("mesh" is
// the sidecars, not a Gateway; a missing one is the analyzers' to report).
func boundGateways(vs *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []*unstructured.Unstructured {
	refs, _, _ := unstructured.NestedStringSlice(vs.Object, "spec", "gateways")
	var out []*unstructured.Unstructured
	for _, r := range refs {
		ns, name, qualified := strings.Cut(r, "/")
		if !qualified {
			ns, name = vs.GetNamespace(), r
		}
		if gw := idx[ref("Gateway", ns, name)]; gw != nil {
			out = append(out, gw)
		}
	}
	return out
}

// destinationServices returns the Services of the cluster the
// VirtualService's HTTP and TLS routes send to: a short host is a Service of
// the VirtualService's namespace, name.namespace.svc.cluster.local of its own.
func destinationServices(vs *unstructured.Unstructured, idx map[string]*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, host := range destinationHosts(vs.Object["spec"]) {
		name, ns := host, vs.GetNamespace()
		if parts := strings.Split(host, "."); len(parts) >= 2 {
			if !strings.HasSuffix(host, ".svc.cluster.local") && len(parts) != 2 {
				continue // not a Service of this cluster
			}
			name, ns = parts[0], parts[1]
		}
		if svc := idx[ref("Service", ns, name)]; svc != nil {
			out = append(out, svc)
		}
	}
	return out
}

// destinationHosts returns every route destination host under v.
func destinationHosts(v any) []string {
	return collect(v, func(m map[string]any) any {
		d, _ := m["destination"].(map[string]any)
		return d["host"]
	})
}

func serviceSelector(svc *unstructured.Unstructured) map[string]string {
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	return sel
}

// targetPorts are the Service's target ports (numbers; defaulted from port).
func targetPorts(svc *unstructured.Unstructured) []string {
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	var out []string
	for _, p := range ports {
		out = append(out, fmt.Sprint(asMap(p)["targetPort"]))
	}
	return out
}

// podsSelected returns the Pods (of namespace ns, any when "") whose labels
// the selector matches; an empty selector matches none, as for Services.
func podsSelected(objs []*unstructured.Unstructured, ns string, selector map[string]string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	if len(selector) == 0 {
		return nil
	}
	for _, o := range ofKind(objs, "Pod") {
		if (ns == "" || o.GetNamespace() == ns) && labels.SelectorFromSet(selector).Matches(labels.Set(o.GetLabels())) {
			out = append(out, o)
		}
	}
	return out
}

// admitted applies the destination namespace's ingress NetworkPolicies to a
// connection from src to dst on one of the ports.
func admitted(objs []*unstructured.Unstructured, src, dst *unstructured.Unstructured, namespaces map[string]map[string]string, ports []string) bool {
	selected := false
	for _, o := range ofKind(objs, "NetworkPolicy") {
		np := &networkingv1.NetworkPolicy{}
		if o.GetNamespace() != dst.GetNamespace() || runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, np) != nil {
			continue
		}
		if !selects(&np.Spec.PodSelector, dst.GetLabels()) || !hasIngressType(np) {
			continue
		}
		selected = true
		for _, rule := range np.Spec.Ingress {
			if peerAllowed(rule.From, src, dst.GetNamespace(), namespaces) && portAllowed(rule.Ports, ports) {
				return true
			}
		}
	}
	return !selected
}

func hasIngressType(np *networkingv1.NetworkPolicy) bool {
	if len(np.Spec.PolicyTypes) == 0 {
		return true // the API server defaults policyTypes to [Ingress] (plus Egress with egress rules)
	}
	for _, t := range np.Spec.PolicyTypes {
		if t == networkingv1.PolicyTypeIngress {
			return true
		}
	}
	return false
}

func selects(s *metav1.LabelSelector, l map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(s)
	return err == nil && sel.Matches(labels.Set(l))
}

// peerAllowed: no peers admit everyone; a peer with a namespaceSelector
// admits Pods of the namespaces it selects (narrowed by its podSelector); a
// podSelector alone admits Pods of the policy's namespace.
func peerAllowed(peers []networkingv1.NetworkPolicyPeer, src *unstructured.Unstructured, policyNS string, namespaces map[string]map[string]string) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.IPBlock != nil {
			continue // pod IPs are not modelled here
		}
		nsOK := src.GetNamespace() == policyNS
		if p.NamespaceSelector != nil {
			nsOK = selects(p.NamespaceSelector, namespaces[src.GetNamespace()])
		}
		podOK := p.PodSelector == nil || selects(p.PodSelector, src.GetLabels())
		if nsOK && podOK {
			return true
		}
	}
	return false
}

func portAllowed(rulePorts []networkingv1.NetworkPolicyPort, ports []string) bool {
	if len(rulePorts) == 0 {
		return true
	}
	for _, rp := range rulePorts {
		if rp.Port == nil || contains(ports, rp.Port.String()) {
			return true
		}
	}
	return false
}

// authorized applies Istio's ALLOW policy semantics to requests from src to
// dst, as far as the source can decide: with no ALLOW policy selecting dst
// (in its namespace, or selector-bound in the root namespace) everything is
// allowed; else some rule must have no from, or a source whose namespaces or
// principals cover src. Request conditions (when: JWT claims) are left out:
// they depend on the request, not on the path.
func authorized(objs []*unstructured.Unstructured, src, dst *unstructured.Unstructured) bool {
	selected := false
	for _, o := range ofKind(objs, "AuthorizationPolicy") {
		if o.GetNamespace() != dst.GetNamespace() {
			continue
		}
		// encoding/json, not the unstructured converter: the spec is a
		// protobuf message whose enums only its JSON unmarshaller reads.
		ap := &securityv1.AuthorizationPolicy{}
		if b, err := o.MarshalJSON(); err != nil || json.Unmarshal(b, ap) != nil {
			return false // unreadable: the schema checks report why
		}
		if action := ap.Spec.GetAction().String(); action != "ALLOW" {
			continue
		}
		if sel := ap.Spec.GetSelector(); sel != nil && !labels.SelectorFromSet(sel.GetMatchLabels()).Matches(labels.Set(dst.GetLabels())) {
			continue
		}
		selected = true
		for _, rule := range ap.Spec.GetRules() {
			if sourceAllowed(rule.GetFrom(), src) {
				return true
			}
		}
	}
	return !selected
}

// sourceAllowed: no from admits every source; a source admits src when its
// namespaces or principals (patterns with *) cover src's namespace or its
// identity cluster.local/ns/<namespace>/sa/<service account>.
func sourceAllowed(from []*securityapi.Rule_From, src *unstructured.Unstructured) bool {
	if len(from) == 0 {
		return true
	}
	sa, _, _ := unstructured.NestedString(src.Object, "spec", "serviceAccountName")
	identity := fmt.Sprintf("cluster.local/ns/%s/sa/%s", src.GetNamespace(), firstNonEmpty(sa, "default"))
	for _, f := range from {
		source := f.GetSource()
		if source == nil {
			continue
		}
		if anyMatches(source.GetNamespaces(), src.GetNamespace()) || anyMatches(source.GetPrincipals(), identity) {
			return true
		}
	}
	return false
}

func anyMatches(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == "*" || p == s || (strings.HasPrefix(p, "*") && strings.HasSuffix(s, p[1:])) || (strings.HasSuffix(p, "*") && strings.HasPrefix(s, p[:len(p)-1])) {
			return true
		}
	}
	return false
}
