package conformance

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"istio.io/istio/operator/pkg/apis"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// iopFile is one rendered IstioOperator with the manifest istioctl generates
// for it.
type iopFile struct {
	path     string
	iop      *apis.IstioOperator
	manifest []Doc
}

// generatedManifests runs `istioctl manifest generate -f` for every
// IstioOperator of the tree; it fails the test when istioctl refuses one.
func generatedManifests(t *testing.T, bin, tree string) []iopFile {
	t.Helper()
	docs, err := ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	var out []iopFile
	for _, d := range docs {
		if d.Object.GroupVersionKind() == istioOperatorGVK {
			out = append(out, generatedFor(t, bin, d))
		}
	}
	return out
}

// generatedFor is the manifest of one IstioOperator document, which must be
// the only document of its file.
func generatedFor(t *testing.T, bin string, d Doc) iopFile {
	t.Helper()
	iop := &apis.IstioOperator{}
	if err := json.Unmarshal(d.JSON, iop); err != nil {
		t.Fatalf("%s: %v", d, err)
	}
	manifest, err := generate(bin, d.File)
	if err != nil {
		t.Fatal(err)
	}
	return iopFile{path: d.File, iop: iop, manifest: copyDocs(manifest)}
}

var (
	generatedMu sync.Mutex
	generated   = map[string][]Doc{}
)

// generate runs `istioctl manifest generate -f file` once per file and test
// binary: several tests read the same manifests.
func generate(bin, file string) ([]Doc, error) {
	generatedMu.Lock()
	defer generatedMu.Unlock()
	if m, ok := generated[file]; ok {
		return m, nil
	}
	stdout, stderr, err := run(bin, "manifest", "generate", "-f", file)
	if err != nil {
		return nil, fmt.Errorf("istioctl manifest generate -f %s: %w\n%s", file, err, stderr)
	}
	if mentionsDeprecation(stderr) {
		return nil, fmt.Errorf("istioctl manifest generate -f %s: deprecation:\n%s", file, stderr)
	}
	m, err := ParseDocs(file+" (generated)", []byte(stdout))
	if err != nil {
		return nil, err
	}
	generated[file] = m
	return m, nil
}

// istioNamespace is the control-plane namespace of the tree's
// IstioOperators (istio-system when it has none).
func istioNamespace(t *testing.T, tree string) string {
	t.Helper()
	docs, err := ReadTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if d.Object.GroupVersionKind() == istioOperatorGVK {
			if ns, _, _ := unstructured.NestedString(d.Object.Object, "spec", "namespace"); ns != "" {
				return ns
			}
			return d.Object.GetNamespace()
		}
	}
	return "istio-system"
}

// TestIstioctlManifestGenerate installs, offline, every rendered
// IstioOperator and checks the manifest holds what it asked for.
func TestIstioctlManifestGenerate(t *testing.T) {
	bin := istioctl(t)
	for _, tree := range trees(t) {
		t.Run(TreeName(repoRoot, tree), func(t *testing.T) {
			iops := generatedManifests(t, bin, tree)
			withGateways := 0
			for _, f := range iops {
				for _, p := range manifestProblems(f) {
					t.Errorf("%s: %s", f.path, p)
				}
				if len(enabledGateways(f.iop)) > 0 {
					withGateways++
				}
			}
			// Gateways upgrade in place with the gatewayRevision: one
			// IstioOperator owns them all, the others install none.
			if withGateways > 1 {
				t.Errorf("%d IstioOperators install gateways; only the gatewayRevision's may", withGateways)
			}
		})
	}
}

// manifestProblems compares a generated manifest with its IstioOperator:
// images from its hub and tag, istiod of its revision, and exactly its
// enabled gateways, each with the HPA, Service type and annotations asked
// for. Exactly: a gateway of the profile the IstioOperator did not name (the
// default profile's istio-ingressgateway) is a problem too.
func manifestProblems(f iopFile) []string {
	spec := f.iop.Spec
	var problems []string
	problems = append(problems, imageProblems(f.manifest, spec.Hub, fmt.Sprint(spec.Tag))...)
	if find(f.manifest, "Deployment", "istiod-"+spec.Revision) == nil {
		problems = append(problems, fmt.Sprintf("no Deployment istiod-%s", spec.Revision))
	}
	want := enabledGateways(f.iop)
	got := gatewayDeployments(f.manifest)
	if strings.Join(sortedKeys(want), ",") != strings.Join(sortedKeys(got), ",") {
		problems = append(problems, fmt.Sprintf("gateway Deployments %v, want exactly the enabled gateways %v", sortedKeys(got), sortedKeys(want)))
	}
	for name, gw := range want {
		problems = append(problems, gatewayProblems(f.manifest, name, gw)...)
	}
	return append(problems, ambientProblems(f)...)
}

// ambientProblems checks what an IstioOperator serving ambient installs:
// istiod with ambient on, and, where it enables ztunnel, the ztunnel
// DaemonSet and the CNI in ambient mode; nothing of it otherwise.
func ambientProblems(f iopFile) []string {
	c := f.iop.Spec.Components
	ztunnel := c != nil && c.Ztunnel != nil && c.Ztunnel.Enabled.GetValueOrFalse()
	var problems []string
	if got := find(f.manifest, "DaemonSet", "ztunnel") != nil; got != ztunnel {
		problems = append(problems, fmt.Sprintf("ztunnel DaemonSet installed %v, enabled %v", got, ztunnel))
	}
	if !ztunnel {
		return problems
	}
	if cni := find(f.manifest, "ConfigMap", "istio-cni-config"); cni == nil || cni.Object["data"].(map[string]any)["AMBIENT_ENABLED"] != "true" {
		problems = append(problems, "the CNI's ConfigMap istio-cni-config does not say AMBIENT_ENABLED: true")
	}
	istiod := find(f.manifest, "Deployment", "istiod-"+f.iop.Spec.Revision)
	if b, _ := json.Marshal(istiod); !strings.Contains(string(b), `"name":"PILOT_ENABLE_AMBIENT","value":"true"`) {
		problems = append(problems, "istiod runs without PILOT_ENABLE_AMBIENT=true")
	}
	return problems
}

// enabledGateways returns the IstioOperator's enabled gateways by
// "namespace/name".
func enabledGateways(iop *apis.IstioOperator) map[string]apis.GatewayComponentSpec {
	gws := map[string]apis.GatewayComponentSpec{}
	if iop.Spec.Components == nil {
		return gws
	}
	all := append(append([]apis.GatewayComponentSpec{}, iop.Spec.Components.IngressGateways...), iop.Spec.Components.EgressGateways...)
	for _, g := range all {
		if g.Enabled.GetValueOrFalse() {
			ns := firstNonEmpty(g.Namespace, iop.Spec.Namespace, iop.Namespace, "istio-system")
			gws[ns+"/"+g.Name] = g
		}
	}
	return gws
}

// gatewayDeployments returns the generated gateway Deployments by
// "namespace/name": those of the operator's gateway components, or of the
// gateway chart (pods injected with the gateway template).
func gatewayDeployments(manifest []Doc) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, d := range manifest {
		if d.Object.GetKind() != "Deployment" {
			continue
		}
		labels, _, _ := unstructured.NestedStringMap(d.Object.Object, "spec", "template", "metadata", "labels")
		annotations, _, _ := unstructured.NestedStringMap(d.Object.Object, "spec", "template", "metadata", "annotations")
		if c := labels["operator.istio.io/component"]; c == "IngressGateways" || c == "EgressGateways" || annotations["inject.istio.io/templates"] == "gateway" {
			out[d.Object.GetNamespace()+"/"+d.Object.GetName()] = d.Object
		}
	}
	return out
}

func gatewayProblems(manifest []Doc, key string, gw apis.GatewayComponentSpec) []string {
	ns, name, _ := strings.Cut(key, "/")
	var problems []string
	if dep := findIn(manifest, "Deployment", ns, name); dep != nil {
		labels, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
		for k, v := range gw.Label {
			if labels[k] != v {
				problems = append(problems, fmt.Sprintf("gateway %s: pod label %s=%q, want %q", key, k, labels[k], v))
			}
		}
	}
	k8s := gw.Kubernetes
	if k8s == nil {
		return problems
	}
	if k8s.HpaSpec != nil {
		problems = append(problems, hpaProblems(manifest, key, k8s.HpaSpec)...)
	}
	svc := findIn(manifest, "Service", ns, name)
	if svc == nil {
		return append(problems, fmt.Sprintf("gateway %s: no Service", key))
	}
	if k8s.Service != nil && k8s.Service.Type != "" {
		if typ, _, _ := unstructured.NestedString(svc.Object, "spec", "type"); typ != string(k8s.Service.Type) {
			problems = append(problems, fmt.Sprintf("gateway %s: Service type %q, want %q", key, typ, k8s.Service.Type))
		}
	}
	for k, v := range k8s.ServiceAnnotations {
		if got := svc.GetAnnotations()[k]; got != v {
			problems = append(problems, fmt.Sprintf("gateway %s: Service annotation %s=%q, want %q", key, k, got, v))
		}
	}
	return problems
}

// hpaProblems compares the generated HorizontalPodAutoscaler with the
// hpaSpec asked for: replicas and metrics.
func hpaProblems(manifest []Doc, key string, want *autoscalingv2.HorizontalPodAutoscalerSpec) []string {
	ns, name, _ := strings.Cut(key, "/")
	hpa := findIn(manifest, "HorizontalPodAutoscaler", ns, name)
	if hpa == nil {
		return []string{fmt.Sprintf("gateway %s: no HorizontalPodAutoscaler", key)}
	}
	gotMax, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "maxReplicas")
	gotMin, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "minReplicas")
	var problems []string
	if gotMax != int64(want.MaxReplicas) {
		problems = append(problems, fmt.Sprintf("gateway %s: HPA maxReplicas %d, want %d", key, gotMax, want.MaxReplicas))
	}
	if want.MinReplicas != nil && gotMin != int64(*want.MinReplicas) {
		problems = append(problems, fmt.Sprintf("gateway %s: HPA minReplicas %d, want %d", key, gotMin, *want.MinReplicas))
	}
	if len(want.Metrics) > 0 {
		gotMetrics, _, _ := unstructured.NestedFieldNoCopy(hpa.Object, "spec", "metrics")
		if wantMetrics := asJSONValue(want.Metrics); !reflect.DeepEqual(gotMetrics, wantMetrics) {
			problems = append(problems, fmt.Sprintf("gateway %s: HPA metrics %v, want %v", key, gotMetrics, wantMetrics))
		}
	}
	return problems
}

// asJSONValue is v as the generic JSON value unstructured objects hold, for
// comparing typed specs with generated manifests.
func asJSONValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return err.Error()
	}
	return normalizeNumbers(out)
}

// normalizeNumbers turns float64 into int64 where integral, as unstructured
// decoding does.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}

// imageProblems checks that every container of the manifest's workloads
// runs <hub>/<image>:<tag>: an air-gapped cluster can pull nothing else.
func imageProblems(manifest []Doc, hub, tag string) []string {
	var problems []string
	for _, d := range manifest {
		if k := d.Object.GetKind(); k != "Deployment" && k != "DaemonSet" {
			continue
		}
		for _, image := range images(d.Object) {
			repo, imageTag, _ := strings.Cut(strings.TrimPrefix(image, hub+"/"), ":")
			if !strings.HasPrefix(image, hub+"/") || strings.Contains(repo, "/") || imageTag != tag {
				problems = append(problems, fmt.Sprintf("%s %s: image %s, want %s/<image>:%s", d.Object.GetKind(), d.Object.GetName(), image, hub, tag))
			}
		}
	}
	return problems
}

func images(u *unstructured.Unstructured) []string {
	var out []string
	for _, field := range []string{"containers", "initContainers"} {
		list, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", field)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["image"]))
			}
		}
	}
	return out
}

func find(manifest []Doc, kind, name string) *unstructured.Unstructured {
	for _, d := range manifest {
		if d.Object.GetKind() == kind && d.Object.GetName() == name {
			return d.Object
		}
	}
	return nil
}

func findIn(manifest []Doc, kind, namespace, name string) *unstructured.Unstructured {
	for _, d := range manifest {
		if d.Object.GetKind() == kind && d.Object.GetNamespace() == namespace && d.Object.GetName() == name {
			return d.Object
		}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestManifestProblemsCatchMismatches proves the manifest checks can fail:
// a generated manifest that matches its IstioOperator passes, and each
// mutation of it is caught.
func TestManifestProblemsCatchMismatches(t *testing.T) {
	bin := istioctl(t)
	base := generatedManifest(t, bin, filepath.Join("testdata", "manifest-problems", "base.yaml"))
	if p := manifestProblems(base); len(p) > 0 {
		t.Fatalf("unmutated manifest: %v", p)
	}
	cases := []struct {
		name   string
		mutate func(m []Doc) []Doc
		want   string
	}{
		{"extra default gateway", func(m []Doc) []Doc {
			extra := objectOf(m, "Deployment", "public-gateway").DeepCopy()
			extra.SetName("istio-ingressgateway")
			return append(m, Doc{Object: extra})
		}, "gateway Deployments [istio-system/istio-ingressgateway istio-system/public-gateway]"},
		{"gateway missing", func(m []Doc) []Doc { return without(m, "Deployment", "public-gateway") }, "gateway Deployments []"},
		{"istiod missing", func(m []Doc) []Doc { return without(m, "Deployment", "istiod-1-30-2") }, "no Deployment istiod-1-30-2"},
		{"image outside hub", func(m []Doc) []Doc {
			setImage(objectOf(m, "Deployment", "istiod-1-30-2"), "docker.io/istio/pilot:1.30.2")
			return m
		}, "image docker.io/istio/pilot:1.30.2"},
		{"image of another tag", func(m []Doc) []Doc {
			setImage(objectOf(m, "Deployment", "public-gateway"), "registry.example.com/istio/proxyv2:1.31.0")
			return m
		}, "want registry.example.com/istio/<image>:1.30.2"},
		{"HPA missing", func(m []Doc) []Doc { return without(m, "HorizontalPodAutoscaler", "public-gateway") }, "no HorizontalPodAutoscaler"},
		{"HPA max replicas", func(m []Doc) []Doc {
			_ = unstructured.SetNestedField(objectOf(m, "HorizontalPodAutoscaler", "public-gateway").Object, int64(5), "spec", "maxReplicas")
			return m
		}, "HPA maxReplicas 5, want 7"},
		{"HPA metrics", func(m []Doc) []Doc {
			unstructured.RemoveNestedField(objectOf(m, "HorizontalPodAutoscaler", "public-gateway").Object, "spec", "metrics")
			return m
		}, "HPA metrics"},
		{"Service type", func(m []Doc) []Doc {
			_ = unstructured.SetNestedField(objectOf(m, "Service", "public-gateway").Object, "LoadBalancer", "spec", "type")
			return m
		}, `Service type "LoadBalancer", want "NodePort"`},
		{"Service annotation", func(m []Doc) []Doc {
			objectOf(m, "Service", "public-gateway").SetAnnotations(nil)
			return m
		}, "Service annotation example.com/lb"},
		{"pod label", func(m []Doc) []Doc {
			_ = unstructured.SetNestedField(objectOf(m, "Deployment", "public-gateway").Object, "other", "spec", "template", "metadata", "labels", "istio")
			return m
		}, `pod label istio="other"`},
	}
	t.Run("image outside hub from istioctl", func(t *testing.T) {
		f := generatedManifest(t, bin, filepath.Join("testdata", "manifest-problems", "image-outside-hub.yaml"))
		if problems := strings.Join(manifestProblems(f), "\n"); !strings.Contains(problems, "image docker.io/istio/pilot:1.30.2") {
			t.Fatalf("problems %q do not name the image", problems)
		}
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base
			f.manifest = c.mutate(copyDocs(base.manifest))
			problems := strings.Join(manifestProblems(f), "\n")
			if !strings.Contains(problems, c.want) {
				t.Fatalf("problems %q do not contain %q", problems, c.want)
			}
		})
	}
}

// generatedManifest is the manifest of a file holding one IstioOperator.
func generatedManifest(t *testing.T, bin, file string) iopFile {
	t.Helper()
	docs, err := ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Object.GroupVersionKind() != istioOperatorGVK {
		t.Fatalf("%s: want exactly one IstioOperator", file)
	}
	return generatedFor(t, bin, docs[0])
}

func copyDocs(docs []Doc) []Doc {
	out := make([]Doc, len(docs))
	for i, d := range docs {
		d.Object = d.Object.DeepCopy()
		out[i] = d
	}
	return out
}

func objectOf(m []Doc, kind, name string) *unstructured.Unstructured {
	if o := find(m, kind, name); o != nil {
		return o
	}
	panic(fmt.Sprintf("no %s %s in the generated manifest", kind, name))
}

func without(m []Doc, kind, name string) []Doc {
	var out []Doc
	for _, d := range m {
		if d.Object.GetKind() != kind || d.Object.GetName() != name {
			out = append(out, d)
		}
	}
	return out
}

func setImage(u *unstructured.Unstructured, image string) {
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	containers[0].(map[string]any)["image"] = image
	_ = unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")
}

// TestAmbientManifestProblemsCatchMismatches: ambientProblems fails on what
// an ambient install would lack, from the ambient example's IstioOperator
// as istioctl generates it.
func TestAmbientManifestProblemsCatchMismatches(t *testing.T) {
	bin := istioctl(t)
	base := generatedManifest(t, bin, "../../examples/ambient/after/rendered/mesh/platform/istio-system/istiooperator-installed-state-1-31-0.yaml")
	if p := ambientProblems(base); len(p) > 0 {
		t.Fatalf("unmutated manifest: %v", p)
	}
	cases := []struct {
		name   string
		mutate func(m []Doc) []Doc
		want   string
	}{
		{"ztunnel missing", func(m []Doc) []Doc { return without(m, "DaemonSet", "ztunnel") }, "ztunnel DaemonSet installed false, enabled true"},
		{"CNI not in ambient mode", func(m []Doc) []Doc {
			_ = unstructured.SetNestedField(objectOf(m, "ConfigMap", "istio-cni-config").Object, "false", "data", "AMBIENT_ENABLED")
			return m
		}, "AMBIENT_ENABLED: true"},
		{"istiod without ambient", func(m []Doc) []Doc {
			istiod := objectOf(m, "Deployment", "istiod-1-31-0")
			containers, _, _ := unstructured.NestedSlice(istiod.Object, "spec", "template", "spec", "containers")
			delete(mapOf(containers[0]), "env")
			_ = unstructured.SetNestedSlice(istiod.Object, containers, "spec", "template", "spec", "containers")
			return m
		}, "istiod runs without PILOT_ENABLE_AMBIENT=true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base
			f.manifest = c.mutate(copyDocs(base.manifest))
			if problems := strings.Join(ambientProblems(f), "\n"); !strings.Contains(problems, c.want) {
				t.Fatalf("problems %q do not contain %q", problems, c.want)
			}
		})
	}
}
