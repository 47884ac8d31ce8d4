package conformance

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshwright/meshwright/encode"
	"github.com/meshwright/meshwright/render"
	"github.com/meshwright/meshwright/schema"
	"github.com/meshwright/meshwright/schema/load"
)

var update = flag.Bool("update", false, "rewrite the reviewed comparisons under testdata/helm-vs-istioctl")

// TestChartsInstallWhatTheIstioOperatorsSay renders Istio's own charts
// (in-process, with Helm's SDK, from the pinned istio module) with the
// values of every tree's Flux HelmReleases and Argo CD Applications, and
// holds the result to the checks `istioctl manifest generate` output is
// held to (manifestProblems: images from the hub at the revision's tag,
// istiod of each revision, exactly the enabled gateways with their HPA,
// Service type and annotations, ztunnel and the CNI's ambient mode). The
// IstioOperators asked against are the twins: the tree's spec rendered with
// install: istioctl. Each revision's releases are held to its IstioOperator,
// the releases installed once per cluster to the gatewayRevision's.
//
// It also writes what differs between the charts' objects and istioctl's
// for the same Mesh to testdata/helm-vs-istioctl/<tree>.txt: reviewed
// output (-update rewrites it), which the README's comparison quotes.
func TestChartsInstallWhatTheIstioOperatorsSay(t *testing.T) {
	bin := istioctl(t)
	trees, err := RenderedTrees(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tree := range trees {
		docs, err := ReadTree(tree)
		if err != nil {
			t.Fatal(err)
		}
		rels, err := Releases(docs)
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) == 0 {
			continue
		}
		checked++
		name := TreeName(repoRoot, tree)
		t.Run(name, func(t *testing.T) {
			twins, kube := twinInstall(t, bin, filepath.Join(filepath.Dir(tree), "spec"))
			charts := chartInstall(t, rels, twins, kube)
			for _, f := range charts {
				for _, p := range manifestProblems(f) {
					t.Errorf("revision %s: %s", f.iop.Spec.Revision, p)
				}
			}
			compareWithIstioctl(t, name, twins, charts)
		})
	}
	if checked == 0 {
		t.Fatal("no rendered tree installs through Helm: the check would pass vacuously")
	}
}

// installManifests is what installs a tree's control plane, per revision:
// istioctl's manifests of its IstioOperators or, for a tree that installs
// through Helm, of its twin's (the spec rendered with install: istioctl).
// The tenants' objects of the two are the same bytes, and
// TestChartsInstallWhatTheIstioOperatorsSay holds the charts to the twin's
// IstioOperators, so the checks of what runs on the install see the same
// control plane either way.
func installManifests(t *testing.T, bin, tree string) []iopFile {
	t.Helper()
	own := generatedManifests(t, bin, tree)
	if _, err := os.Stat(filepath.Join(filepath.Dir(tree), "spec")); err != nil || len(own) > 0 {
		return own
	}
	twins, _ := twinInstall(t, bin, filepath.Join(filepath.Dir(tree), "spec"))
	return twins
}

// twinInstall renders the spec with install: istioctl and returns what
// istioctl generates from each of its IstioOperators, and the Mesh's
// Kubernetes version.
func twinInstall(t *testing.T, bin, specDir string) ([]iopFile, string) {
	t.Helper()
	s, err := load.Load(specDir)
	if err != nil {
		t.Fatal(err)
	}
	s.Mesh.Spec.ControlPlane.Install = schema.InstallIstioctl
	objs, diags := render.Render(s)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := encode.WriteTree(dir, objs); err != nil {
		t.Fatal(err)
	}
	out := generatedManifests(t, bin, dir)
	if len(out) == 0 {
		t.Fatalf("%s with install istioctl renders no IstioOperator", specDir)
	}
	return out, s.Mesh.Spec.KubernetesVersion.String()
}

// chartInstall renders every release and groups the objects by the
// revision whose IstioOperator would install them: istiod-<rev> to <rev>,
// the once-per-cluster releases (base, cni, ztunnel, gateways) to the
// IstioOperator that enables the gateways and the CNI.
func chartInstall(t *testing.T, rels []ChartRelease, twins []iopFile, kubeVersion string) []iopFile {
	t.Helper()
	owner := twins[0]
	for _, f := range twins {
		if c := f.iop.Spec.Components; c != nil && c.Cni != nil && c.Cni.Enabled.GetValueOrFalse() || len(enabledGateways(f.iop)) > 0 {
			owner = f
		}
	}
	out := make([]iopFile, len(twins))
	for i, f := range twins {
		out[i] = iopFile{path: f.path, iop: f.iop}
	}
	for _, r := range rels {
		rendered, err := RenderRelease(r, kubeVersion)
		if err != nil {
			t.Fatalf("%s: %v", r.Source, err)
		}
		i := slices.IndexFunc(out, func(f iopFile) bool {
			return r.Chart == "istiod" && r.Name == "istiod-"+f.iop.Spec.Revision
		})
		if i < 0 {
			i = slices.IndexFunc(out, func(f iopFile) bool { return f.path == owner.path })
		}
		out[i].manifest = append(out[i].manifest, rendered...)
	}
	for i := range out {
		out[i].manifest = injected(t, out[i].manifest, allDocs(out))
	}
	return out
}

func allDocs(files []iopFile) []Doc {
	var all []Doc
	for _, f := range files {
		all = append(all, f.manifest...)
	}
	return all
}

// injected returns the manifest with the proxy image of every `image: auto`
// container (the gateway chart's) filled in as the injection webhook would:
// the webhook among all the releases' MutatingWebhookConfigurations whose
// selectors take the pod (in a namespace with no injection label, as the
// control-plane and gateway namespaces are) names its istiod, whose
// injector ConfigMap gives hub and tag. None or several webhooks fail.
func injected(t *testing.T, manifest, all []Doc) []Doc {
	t.Helper()
	out := copyDocs(manifest)
	for _, d := range out {
		if d.Object.GetKind() != "Deployment" || !slices.Contains(images(d.Object), "auto") {
			continue
		}
		podLabels, _, _ := unstructured.NestedStringMap(d.Object.Object, "spec", "template", "metadata", "labels")
		var istiods []string
		for _, w := range webhooks(t, all) {
			if w.namespaces.Matches(labels.Set{}) && w.objects.Matches(labels.Set(podLabels)) {
				istiods = append(istiods, w.service)
			}
		}
		if len(istiods) != 1 {
			t.Errorf("%s: %d injection webhooks take its pods (%v), want 1", d, len(istiods), istiods)
			continue
		}
		image, err := proxyImage(all, strings.TrimPrefix(istiods[0], "istiod-"))
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		containers, _, _ := unstructured.NestedSlice(d.Object.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if m := c.(map[string]any); m["image"] == "auto" {
				m["image"] = image
			}
		}
		_ = unstructured.SetNestedSlice(d.Object.Object, containers, "spec", "template", "spec", "containers")
	}
	return out
}

type webhook struct {
	service             string // the istiod Service it calls
	namespaces, objects labels.Selector
}

func webhooks(t *testing.T, docs []Doc) []webhook {
	t.Helper()
	var out []webhook
	for _, d := range docs {
		if d.Object.GetKind() != "MutatingWebhookConfiguration" {
			continue
		}
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object.Object, cfg); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		for _, w := range cfg.Webhooks {
			ns, err := selector(w.NamespaceSelector)
			if err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			obj, err := selector(w.ObjectSelector)
			if err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			if w.ClientConfig.Service != nil {
				out = append(out, webhook{service: w.ClientConfig.Service.Name, namespaces: ns, objects: obj})
			}
		}
	}
	return out
}

// proxyImage is the proxy image a revision's injector writes into pods:
// <global.hub>/proxyv2:<global.tag> of its injector ConfigMap's values.
func proxyImage(docs []Doc, revision string) (string, error) {
	cm := find(docs, "ConfigMap", "istio-sidecar-injector-"+revision)
	if cm == nil {
		return "", fmt.Errorf("no injector ConfigMap of revision %q", revision)
	}
	raw, _, _ := unstructured.NestedString(cm.Object, "data", "values")
	var values struct {
		Global struct {
			Hub string `json:"hub"`
			Tag any    `json:"tag"`
		} `json:"global"`
	}
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return "", fmt.Errorf("injector ConfigMap of revision %q: %w", revision, err)
	}
	return fmt.Sprintf("%s/proxyv2:%v", values.Global.Hub, values.Global.Tag), nil
}

// compareWithIstioctl writes the objects only one of the two installs has,
// by kind and name, to the tree's reviewed comparison.
func compareWithIstioctl(t *testing.T, tree string, twins, charts []iopFile) {
	t.Helper()
	ids := func(files []iopFile) map[string]bool {
		m := map[string]bool{}
		for _, f := range files {
			for _, d := range f.manifest {
				m[d.Object.GetKind()+" "+namespacedName(d.Object)] = true
			}
		}
		return m
	}
	fromIstioctl, fromCharts := ids(twins), ids(charts)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: objects only one way of installing the same Mesh renders\n", tree)
	fmt.Fprintf(&b, "# (istioctl manifest generate of the IstioOperators vs. Istio's charts with the releases' values)\n")
	for _, side := range []struct {
		label       string
		have, other map[string]bool
	}{{"only istioctl", fromIstioctl, fromCharts}, {"only the charts", fromCharts, fromIstioctl}} {
		for _, id := range sortedKeys(side.have) {
			if !side.other[id] {
				fmt.Fprintf(&b, "%s: %s\n", side.label, id)
			}
		}
	}
	golden := filepath.Join("testdata", "helm-vs-istioctl", strings.ReplaceAll(tree, "/", "_")+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (review, then go test ./internal/conformance -run TestChartsInstall -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("%s is stale (review, then go test ./internal/conformance -run TestChartsInstall -update); got:\n%s", golden, b.String())
	}
}
