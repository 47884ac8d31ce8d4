package conformance

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	istiolog "istio.io/istio/pkg/log"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// TestAnalyzeWithRuntimeResources runs every analyzer of istioctl analyze,
// from the same istio module, in-process and over a cluster assembled as it
// would be after install, so that the analyzers istioctl skips offline
// (gateway selectors and ports, credential secrets, destination hosts,
// subsets' pods, port names...) run too:
//   - the rendered tree;
//   - the Deployments and Services of istiod and the gateways, the sidecar
//     injection webhooks and the injector ConfigMaps that `istioctl manifest
//     generate` produces for its IstioOperators;
//   - the tenants' workloads, from the tree's fixture;
//   - one Pod per Deployment, as its ReplicaSet would create, with the
//     istio-proxy container of the revision whose injection webhook selects
//     it, as the webhook would add;
//   - the Secrets cert-manager and trust-manager would write for the
//     rendered Certificates and Bundles.
//
// The differences from istioctl: AddTestReaderKubeSource, which reads Pods,
// Services, Namespaces and Secrets from files too, and no stand-in ingress
// gateway (see analyzeInProcess). The references no analyzer follows are
// checked over the same cluster (referenceProblems).
func TestAnalyzeWithRuntimeResources(t *testing.T) {
	bin := istioctl(t)
	used := map[int]bool{}
	for _, tree := range trees(t) {
		t.Run(TreeName(repoRoot, tree), func(t *testing.T) {
			cluster := assembleCluster(t, bin, tree)
			for _, f := range analyzeInProcess(t, cluster, istioNamespace(t, tree)) {
				judge(t, f, used)
			}
			for _, p := range referenceProblems(cluster) {
				t.Error(p)
			}
			if t.Failed() && fixtureDir(tree) == "" {
				t.Logf("no workload fixture: add conformance/testdata/workloads/%s/ with the tenants' Services and Deployments", TreeName(repoRoot, tree))
			}
		})
	}
	checkSuppressionsUsed(t, used, true)
}

// TestAnalyzeInProcessSeesRuntimeResources proves the in-process analysis
// reads what istioctl offline ignores: take away a Service or the gateway
// Pods of the reference architecture's cluster and the analyzers report it.
func TestAnalyzeInProcessSeesRuntimeResources(t *testing.T) {
	bin := istioctl(t)
	cluster := assembleCluster(t, bin, "../../examples/reference-architecture/rendered")
	cases := []struct {
		name   string
		remove func(o *unstructured.Unstructured) bool
		want   finding
	}{
		{"Service of a routed host", func(o *unstructured.Unstructured) bool {
			return o.GetKind() == "Service" && o.GetName() == "productpage"
		}, finding{code: "IST0101", level: "Error", origin: "VirtualService bookinfo/productpage", message: `Referenced host not found: "productpage"`}},
		{"ingress gateway Pods", func(o *unstructured.Unstructured) bool {
			return o.GetKind() == "Pod" && o.GetLabels()["istio"] == "ingressgateway"
		}, finding{code: "IST0101", level: "Error", origin: "Gateway bookinfo/productpage-gateway", message: `Referenced selector not found: "istio=ingressgateway"`}},
		{"server certificate Secret", func(o *unstructured.Unstructured) bool {
			return o.GetKind() == "Secret" && o.GetName() == "bookinfo-productpage-cert"
		}, finding{code: "IST0101", level: "Error", origin: "Gateway bookinfo/productpage-gateway", message: `Referenced credentialName not found: "bookinfo-productpage-cert"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var objs []*unstructured.Unstructured
			for _, o := range cluster {
				if !c.remove(o) {
					objs = append(objs, o)
				}
			}
			if len(objs) == len(cluster) {
				t.Fatal("nothing removed")
			}
			findings := analyzeInProcess(t, objs, "istio-system")
			for _, f := range findings {
				if f == c.want {
					return
				}
			}
			t.Fatalf("findings %v do not include %v", findings, c.want)
		})
	}
}

// assembleCluster returns every object of the cluster described above.
func assembleCluster(t *testing.T, bin, tree string) []*unstructured.Unstructured {
	t.Helper()
	objs, webhooks := installedCluster(t, bin, tree)
	objs, err := withControllers(objs, webhooks)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// installedCluster returns what is applied to the cluster (the rendered
// tree, the install, the workloads) and the install's injection webhooks.
func installedCluster(t *testing.T, bin, tree string) ([]*unstructured.Unstructured, []injector) {
	t.Helper()
	var objs []*unstructured.Unstructured
	rendered, err := ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs, objects(rendered)...)
	var webhooks []injector
	for _, f := range installManifests(t, bin, tree) {
		objs = append(objs, installed(f.manifest)...)
		hooks, err := injectors(f)
		if err != nil {
			t.Fatal(err)
		}
		webhooks = append(webhooks, hooks...)
	}
	deployed, err := DeployedGateways(t, objs, meshConfig(t, bin, tree))
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs, deployed...)
	if dir := fixtureDir(tree); dir != "" {
		fixture, err := ReadTree(dir)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, objects(fixture)...)
	}
	for _, o := range objs {
		defaultService(o)
	}
	return objs, webhooks
}

// withControllers adds what the controllers would create from the applied
// objects: Pods (ReplicaSets and the injection webhooks) and Secrets
// (cert-manager, trust-manager).
func withControllers(objs []*unstructured.Unstructured, webhooks []injector) ([]*unstructured.Unstructured, error) {
	objs = append(objs, podsOf(objs, namespaceLabels(objs), webhooks)...)
	secrets, err := issuedSecrets(objs)
	if err != nil {
		return nil, err
	}
	return append(objs, secrets...), nil
}

// installed returns the parts of a generated manifest the analyzers need:
// the Deployments and Services of istiod and the gateways, the injection
// webhooks and the injector's ConfigMaps.
func installed(manifest []Doc) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, d := range manifest {
		o := d.Object
		switch {
		case o.GetKind() == "Deployment", o.GetKind() == "Service",
			o.GetKind() == "MutatingWebhookConfiguration",
			o.GetKind() == "ConfigMap" && strings.HasPrefix(o.GetName(), "istio-sidecar-injector"):
			out = append(out, o)
		}
	}
	return out
}

// defaultService applies the API server's defaults for Service ports that
// the analyzers depend on: protocol TCP and targetPort = port.
func defaultService(o *unstructured.Unstructured) {
	if o.GetKind() != "Service" {
		return
	}
	ports, _, _ := unstructured.NestedSlice(o.Object, "spec", "ports")
	for _, p := range ports {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if m["protocol"] == nil {
			m["protocol"] = "TCP"
		}
		if m["targetPort"] == nil {
			m["targetPort"] = m["port"]
		}
	}
	_ = unstructured.SetNestedSlice(o.Object, ports, "spec", "ports")
}

// injector is one sidecar injection webhook: the namespaces and pods it
// selects and the proxy image its revision injects.
type injector struct {
	name       string
	namespaces labels.Selector
	objects    labels.Selector
	proxyImage string
}

// injectors returns the webhooks of a generated manifest.
func injectors(f iopFile) ([]injector, error) {
	image := f.iop.Spec.Hub + "/proxyv2:" + fmt.Sprint(f.iop.Spec.Tag)
	var out []injector
	for _, d := range f.manifest {
		if d.Object.GetKind() != "MutatingWebhookConfiguration" {
			continue
		}
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object.Object, cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		for _, w := range cfg.Webhooks {
			ns, err := selector(w.NamespaceSelector)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			obj, err := selector(w.ObjectSelector)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			out = append(out, injector{name: cfg.Name + "/" + w.Name, namespaces: ns, objects: obj, proxyImage: image})
		}
	}
	return out, nil
}

// selector is a webhook's label selector; nil selects everything.
func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// quietIstioLogs silences the analyzers' informational logging, once.
var quietIstioLogs sync.Once

func objects(docs []Doc) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(docs))
	for i, d := range docs {
		out[i] = d.Object
	}
	return out
}

// analyzeInProcess runs all analyzers over the objects as `istioctl analyze
// --use-kube=false -A` does (every namespace, the control-plane namespace
// given), but without its AddDefaultResources: that adds a stand-in
// istio-ingressgateway Pod and Service, which would hide a Gateway selecting
// a gateway the IstioOperators do not install; the real ones are here.
func analyzeInProcess(t *testing.T, objs []*unstructured.Unstructured, istioNS string) []finding {
	t.Helper()
	quietIstioLogs.Do(func() {
		for _, s := range istiolog.Scopes() {
			s.SetOutputLevel(istiolog.NoneLevel)
		}
	})
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace(istioNS), nil)
	var stream bytes.Buffer
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		stream.WriteString("---\n")
		stream.Write(b)
	}
	if err := sa.AddTestReaderKubeSource([]local.ReaderSource{{Name: "cluster.yaml", Reader: &stream}}); err != nil {
		t.Fatalf("reading objects: %v", err)
	}
	result, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		t.Fatalf("analyzing: %v", err)
	}
	// Every analyzer must run: a skipped one would be a check that cannot fail.
	if len(result.SkippedAnalyzers) > 0 {
		t.Errorf("analyzers skipped for lack of input kinds: %v", result.SkippedAnalyzers)
	}
	t.Logf("%d analyzers ran over %d objects", len(result.ExecutedAnalyzers), len(objs))
	var out []finding
	for _, m := range result.Messages {
		u := m.Unstructured(true)
		out = append(out, finding{
			code:    m.Type.Code(),
			level:   m.Type.Level().String(),
			origin:  fmt.Sprint(u["origin"]),
			message: fmt.Sprint(u["message"]),
		})
	}
	return out
}

// podsOf returns one Pod per Deployment, as its ReplicaSet would create it
// (the template's labels, annotations and spec), with the istio-proxy
// container of the first injection webhook that selects it.
func podsOf(objs []*unstructured.Unstructured, namespaces map[string]map[string]string, webhooks []injector) []*unstructured.Unstructured {
	var pods []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		template, _, _ := unstructured.NestedMap(o.Object, "spec", "template")
		pod := &unstructured.Unstructured{Object: template}
		pod.SetAPIVersion("v1")
		pod.SetKind("Pod")
		pod.SetName(o.GetName() + "-0")
		pod.SetNamespace(o.GetNamespace())
		nsLabels := labels.Set(namespaces[o.GetNamespace()])
		for _, w := range webhooks {
			if w.namespaces.Matches(nsLabels) && w.objects.Matches(labels.Set(pod.GetLabels())) {
				addProxy(pod, w.proxyImage)
				break
			}
		}
		if nsLabels["istio.io/dataplane-mode"] == "ambient" && istioProxy(pod) == nil {
			// the CNI enrolls it: its traffic goes through ztunnel
			annotations := pod.GetAnnotations()
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations["ambient.istio.io/redirection"] = "enabled"
			pod.SetAnnotations(annotations)
			_ = unstructured.SetNestedField(pod.Object, "conformance-node", "spec", "nodeName")
		}
		pods = append(pods, pod)
	}
	return pods
}

func addProxy(pod *unstructured.Unstructured, image string) {
	containers, _, _ := unstructured.NestedSlice(pod.Object, "spec", "containers")
	containers = append(containers, map[string]any{"name": "istio-proxy", "image": image})
	_ = unstructured.SetNestedSlice(pod.Object, containers, "spec", "containers")
}

// issuedSecrets returns the Secrets cert-manager would write for the
// Certificates (a certificate for their DNS names, so istio's credential
// checks can parse it) and trust-manager for the Bundles (a Secret named
// after the Bundle in every namespace its selector matches).
func issuedSecrets(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	var secrets []*unstructured.Unstructured
	namespaces := namespaceLabels(objs)
	for _, o := range objs {
		switch o.GetKind() {
		case "Certificate":
			name, _, _ := unstructured.NestedString(o.Object, "spec", "secretName")
			dnsNames, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
			data, err := tlsSecretData(dnsNames)
			if err != nil {
				return nil, err
			}
			secrets = append(secrets, secret(o.GetNamespace(), name, "kubernetes.io/tls", data))
		case "Bundle":
			key, found, _ := unstructured.NestedString(o.Object, "spec", "target", "secret", "key")
			if !found {
				continue
			}
			selector, _, _ := unstructured.NestedStringMap(o.Object, "spec", "target", "namespaceSelector", "matchLabels")
			data, err := tlsSecretData([]string{"client-ca.example.com"})
			if err != nil {
				return nil, err
			}
			for _, ns := range sortedKeys(namespaces) {
				if labels.SelectorFromSet(selector).Matches(labels.Set(namespaces[ns])) {
					secrets = append(secrets, secret(ns, o.GetName(), "Opaque", map[string]any{key: data["ca.crt"]}))
				}
			}
		}
	}
	return secrets, nil
}

// namespaceLabels returns every namespace in use with its labels, including
// the kubernetes.io/metadata.name label the API server sets.
func namespaceLabels(objs []*unstructured.Unstructured) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && out[ns] == nil {
			out[ns] = map[string]string{"kubernetes.io/metadata.name": ns}
		}
		if o.GetKind() == "Namespace" {
			l := map[string]string{}
			for k, v := range o.GetLabels() {
				l[k] = v
			}
			l["kubernetes.io/metadata.name"] = o.GetName()
			out[o.GetName()] = l
		}
	}
	return out
}

func secret(namespace, name, typ string, data map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"type":       typ,
		"data":       data,
	}}
}

// tlsSecretData is a kubernetes.io/tls Secret's data for a fresh self-signed
// certificate valid for the names.
func tlsSecretData(dnsNames []string) (map[string]any, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	cn := "meshwright-conformance"
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dnsNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IsCA:         true,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding key: %w", err)
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	b64 := base64.StdEncoding.EncodeToString
	return map[string]any{"tls.crt": b64(crt), "tls.key": b64(keyPEM), "ca.crt": b64(crt)}, nil
}
