package conformance

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
//     serves: its Pods must have the sidecar.
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
	return problems
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
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if tls, ok := x["tls"].(map[string]any); ok && tls["credentialName"] != nil {
			out = append(out, fmt.Sprint(tls["credentialName"]))
		}
		for k, child := range x {
			if k != "tls" {
				out = append(out, credentialNames(child)...)
			}
		}
	case []any:
		for _, child := range x {
			out = append(out, credentialNames(child)...)
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
	cluster := assembleCluster(t, bin, "../examples/reference-architecture/rendered")
	if p := referenceProblems(cluster); len(p) > 0 {
		t.Fatalf("unmutated cluster: %v", p)
	}
	cases := []struct{ remove, want string }{
		{"Secret istio-system/bookinfo-productpage-cert-cacert", "no Secret istio-system/bookinfo-productpage-cert-cacert"},
		{"Secret istio-system/sleep-nginx-client-credential", "credentialName sleep-nginx-client-credential: no Secret"},
		{"Issuer istio-system/vault-issuer", "issuerRef: no Issuer istio-system/vault-issuer"},
		{"ServiceAccount istio-system/issuer", "serviceAccountRef: no ServiceAccount istio-system/issuer"},
		{"ClusterRole meshwright:tenant-edge", "roleRef: no ClusterRole meshwright:tenant-edge"},
	}
	t.Run("namespace revision no webhook serves", func(t *testing.T) {
		objs, webhooks := installedCluster(t, bin, "../examples/reference-architecture/rendered")
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
