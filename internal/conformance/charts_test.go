package conformance

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"istio.io/istio/manifests"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// chartKubeVersion is the cluster the chart tests render for.
const chartKubeVersion = "1.30"

func TestRenderReleaseRendersIstioCharts(t *testing.T) {
	tests := []struct {
		name    string
		release ChartRelease
		check   func(t *testing.T, docs []Doc)
	}{
		{
			name: "istiod revision names the Deployment, its image comes from global.hub and global.tag",
			release: ChartRelease{Chart: "istiod", Name: "istiod-1-30-2", Namespace: "istio-system", Values: map[string]any{
				"revision": "1-30-2",
				"global":   map[string]any{"hub": "registry.example.com/istio", "tag": "1.30.2"},
			}},
			check: func(t *testing.T, docs []Doc) {
				d := mustFind(t, docs, "Deployment", "istio-system", "istiod-1-30-2")
				wantString(t, d, "registry.example.com/istio/pilot:1.30.2", "spec", "template", "spec", "containers", "0", "image")
				mustFind(t, docs, "ConfigMap", "istio-system", "istio-1-30-2") // the revision's mesh config
			},
		},
		{
			name: "istiod revision tags get injection webhooks named after the tag",
			release: ChartRelease{Chart: "istiod", Name: "istiod-1-30-2", Namespace: "istio-system", Values: map[string]any{
				"revision":     "1-30-2",
				"revisionTags": []any{"prod", "canary"},
			}},
			check: func(t *testing.T, docs []Doc) {
				for _, tag := range []string{"prod", "canary"} {
					w := mustFind(t, docs, "MutatingWebhookConfiguration", "", "istio-revision-tag-"+tag)
					if got := w.GetLabels()["istio.io/rev"]; got != "1-30-2" {
						t.Errorf("webhook for tag %s: istio.io/rev %q, want 1-30-2", tag, got)
					}
					mustFind(t, docs, "Service", "istio-system", "istiod-revision-tag-"+tag)
				}
			},
		},
		{
			name: "istiod revision tags outside istio-system carry the namespace in the webhook name",
			release: ChartRelease{Chart: "istiod", Name: "istiod", Namespace: "mesh-a", Values: map[string]any{
				"revisionTags": []any{"prod"},
			}},
			check: func(t *testing.T, docs []Doc) {
				mustFind(t, docs, "MutatingWebhookConfiguration", "", "istio-revision-tag-prod-mesh-a")
			},
		},
		{
			name: "gateway objects are named after the release and take the service and autoscaling values",
			release: ChartRelease{Chart: "gateway", Name: "istio-ingressgateway", Namespace: "istio-ingress", Values: map[string]any{
				"service": map[string]any{"type": "ClusterIP"},
				"autoscaling": map[string]any{
					"enabled": true, "minReplicas": 2, "maxReplicas": 7, "targetCPUUtilizationPercentage": 65,
				},
			}},
			check: func(t *testing.T, docs []Doc) {
				mustFind(t, docs, "Deployment", "istio-ingress", "istio-ingressgateway")
				svc := mustFind(t, docs, "Service", "istio-ingress", "istio-ingressgateway")
				wantString(t, svc, "ClusterIP", "spec", "type")
				hpa := mustFind(t, docs, "HorizontalPodAutoscaler", "istio-ingress", "istio-ingressgateway")
				wantInt(t, hpa, 2, "spec", "minReplicas")
				wantInt(t, hpa, 7, "spec", "maxReplicas")
				wantInt(t, hpa, 65, "spec", "metrics", "0", "resource", "target", "averageUtilization")
			},
		},
		{
			name: "cni ambient.enabled turns ambient on in the node agent's config",
			release: ChartRelease{Chart: "cni", Name: "istio-cni", Namespace: "istio-system", Values: map[string]any{
				"ambient": map[string]any{"enabled": true},
			}},
			check: func(t *testing.T, docs []Doc) {
				cm := mustFind(t, docs, "ConfigMap", "istio-system", "istio-cni-config")
				wantString(t, cm, "true", "data", "AMBIENT_ENABLED")
			},
		},
		{
			name:    "cni without ambient values leaves ambient off",
			release: ChartRelease{Chart: "cni", Name: "istio-cni", Namespace: "istio-system"},
			check: func(t *testing.T, docs []Doc) {
				cm := mustFind(t, docs, "ConfigMap", "istio-system", "istio-cni-config")
				wantString(t, cm, "false", "data", "AMBIENT_ENABLED")
			},
		},
		{
			name: "ztunnel renders its DaemonSet, image from the chart's top-level hub and tag",
			release: ChartRelease{Chart: "ztunnel", Name: "ztunnel", Namespace: "istio-system", Values: map[string]any{
				"hub": "registry.example.com/istio", "tag": "1.30.2",
			}},
			check: func(t *testing.T, docs []Doc) {
				ds := mustFind(t, docs, "DaemonSet", "istio-system", "ztunnel")
				wantString(t, ds, "registry.example.com/istio/ztunnel:1.30.2", "spec", "template", "spec", "containers", "0", "image")
			},
		},
		{
			name:    "base renders every Istio CRD of the chart's crd-all.gen.yaml",
			release: ChartRelease{Chart: "base", Name: "istio-base", Namespace: "istio-system"},
			check: func(t *testing.T, docs []Doc) {
				want := chartCRDNames(t)
				if !contains(want, "virtualservices.networking.istio.io") {
					t.Fatalf("crd-all.gen.yaml has no VirtualService CRD: %v", want)
				}
				var got []string
				for _, d := range docs {
					if d.Object.GetKind() == "CustomResourceDefinition" {
						got = append(got, d.Object.GetName())
					}
				}
				sort.Strings(got)
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("rendered CRDs:\n%v\nwant crd-all.gen.yaml's:\n%v", got, want)
				}
				mustFind(t, docs, "ValidatingWebhookConfiguration", "", "istiod-default-validator")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := RenderRelease(tt.release, chartKubeVersion)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, docs)
		})
	}
}

// TestRenderReleasePassesTheKubernetesVersion renders the cni chart, whose
// DaemonSet picks GKE's CNI directory from .Capabilities.KubeVersion when no
// directory is set.
func TestRenderReleasePassesTheKubernetesVersion(t *testing.T) {
	tests := []struct {
		kubeVersion string
		wantBinDir  string
	}{
		{"1.30", "/opt/cni/bin"},
		{"v1.30.2-gke.1000", "/home/kubernetes/bin"},
	}
	for _, tt := range tests {
		t.Run(tt.kubeVersion, func(t *testing.T) {
			r := ChartRelease{Chart: "cni", Name: "istio-cni", Namespace: "istio-system", Values: map[string]any{"cniBinDir": ""}}
			docs, err := RenderRelease(r, tt.kubeVersion)
			if err != nil {
				t.Fatal(err)
			}
			ds := mustFind(t, docs, "DaemonSet", "istio-system", "istio-cni-node")
			volumes, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "volumes")
			var got []string
			for _, v := range volumes {
				if p, ok, _ := unstructured.NestedString(v.(map[string]any), "hostPath", "path"); ok {
					got = append(got, p)
				}
			}
			if !contains(got, tt.wantBinDir) {
				t.Errorf("hostPath volumes %v, want %s", got, tt.wantBinDir)
			}
		})
	}
}

func TestRenderReleaseRefuses(t *testing.T) {
	tests := []struct {
		name        string
		release     ChartRelease
		kubeVersion string
		wantErr     string
	}{
		{
			name:        "an unknown chart",
			release:     ChartRelease{Chart: "istio-ingress", Name: "gw", Namespace: "istio-system"},
			kubeVersion: chartKubeVersion,
			wantErr:     `unknown chart "istio-ingress"`,
		},
		{
			name: "values the gateway chart's schema rejects",
			release: ChartRelease{Chart: "gateway", Name: "gw", Namespace: "istio-ingress", Values: map[string]any{
				"autoscaling": map[string]any{"minReplicas": "two"},
			}},
			kubeVersion: chartKubeVersion,
			wantErr:     "minReplicas",
		},
		{
			name:        "an unknown profile",
			release:     ChartRelease{Chart: "istiod", Name: "istiod", Namespace: "istio-system", Values: map[string]any{"profile": "no-such-profile"}},
			kubeVersion: chartKubeVersion,
			wantErr:     "unknown profile",
		},
		{
			name:        "a Kubernetes version that is none",
			release:     ChartRelease{Chart: "base", Name: "istio-base", Namespace: "istio-system"},
			kubeVersion: "latest",
			wantErr:     `kubernetes version "latest"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderRelease(tt.release, tt.kubeVersion)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReleasesReadsHelmReleasesAndApplications(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []ChartRelease // Source left out: checked by name
	}{
		{
			name: "Flux HelmRelease with a releaseName",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: flux-system}
spec:
  releaseName: istiod-1-30-2
  targetNamespace: istio-system
  chart: {spec: {chart: istiod, version: 1.30.2, sourceRef: {kind: HelmRepository, name: istio}}}
  values:
    revision: 1-30-2
    pilot: {autoscaleMin: 2}
`,
			want: []ChartRelease{{Chart: "istiod", Name: "istiod-1-30-2", Namespace: "istio-system", Values: map[string]any{
				"revision": "1-30-2", "pilot": map[string]any{"autoscaleMin": int64(2)},
			}}},
		},
		{
			name: "Flux HelmRelease with a targetNamespace: the release name defaults to targetNamespace-name",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istio-ingressgateway, namespace: flux-system}
spec:
  targetNamespace: istio-ingress
  chart: {spec: {chart: gateway, sourceRef: {kind: HelmRepository, name: istio}}}
`,
			want: []ChartRelease{{Chart: "gateway", Name: "istio-ingress-istio-ingressgateway", Namespace: "istio-ingress"}},
		},
		{
			name: "Flux HelmRelease with neither: its own name and namespace",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istio-base, namespace: istio-system}
spec:
  chart: {spec: {chart: base, sourceRef: {kind: HelmRepository, name: istio}}}
`,
			want: []ChartRelease{{Chart: "base", Name: "istio-base", Namespace: "istio-system"}},
		},
		{
			name: "Flux HelmRelease with a chartRef: the chart named by its OCIRepository's URL",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod-1-31-0, namespace: istio-system}
spec:
  chartRef: {kind: OCIRepository, name: istiod-1-31-0}
  releaseName: istiod-1-31-0
  values: {revision: 1-31-0}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: istiod-1-31-0, namespace: istio-system}
spec:
  url: oci://registry.example.com/istio-charts/istiod
  ref: {tag: 1.31.0}
`,
			want: []ChartRelease{{Chart: "istiod", Name: "istiod-1-31-0", Namespace: "istio-system", Values: map[string]any{"revision": "1-31-0"}}},
		},
		{
			name: "Flux HelmRelease whose default name is over 53 characters: shortened with a hash",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istio-ingressgateway-for-the-payments-tenant-zone-a, namespace: flux-system}
spec:
  targetNamespace: istio-ingress
  chart: {spec: {chart: gateway, sourceRef: {kind: HelmRepository, name: istio}}}
`,
			want: []ChartRelease{{Chart: "gateway", Name: "istio-ingress-istio-ingressgateway-for-t-32416d50a264", Namespace: "istio-ingress"}},
		},
		{
			name: "Argo CD Application with a releaseName",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: istio-system}
  source:
    repoURL: https://istio-release.storage.googleapis.com/charts
    chart: istiod
    targetRevision: 1.30.2
    helm:
      releaseName: istiod-1-30-2
      valuesObject:
        revision: 1-30-2
        meshConfig: {accessLogFile: /dev/stdout}
`,
			want: []ChartRelease{{Chart: "istiod", Name: "istiod-1-30-2", Namespace: "istio-system", Values: map[string]any{
				"revision": "1-30-2", "meshConfig": map[string]any{"accessLogFile": "/dev/stdout"},
			}}},
		},
		{
			name: "Argo CD Application without a releaseName: the Application's name",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ztunnel, namespace: argocd}
spec:
  destination: {server: https://kubernetes.default.svc, namespace: istio-system}
  source: {repoURL: https://istio-release.storage.googleapis.com/charts, chart: ztunnel, targetRevision: 1.30.2}
`,
			want: []ChartRelease{{Chart: "ztunnel", Name: "ztunnel", Namespace: "istio-system"}},
		},
		{
			name: "Argo CD Application with helm.namespace: it wins over the destination's",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istio-cni, namespace: argocd}
spec:
  destination: {server: https://kubernetes.default.svc, namespace: default}
  source:
    repoURL: https://istio-release.storage.googleapis.com/charts
    chart: cni
    helm: {namespace: istio-system}
`,
			want: []ChartRelease{{Chart: "cni", Name: "istio-cni", Namespace: "istio-system"}},
		},
		{
			name: "an Argo CD Application of a Git directory and other kinds are not releases",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: mesh, namespace: argocd}
spec:
  destination: {server: https://kubernetes.default.svc}
  source: {repoURL: https://git.example.com/mesh.git, path: rendered, targetRevision: main}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := ParseDocs(tt.name, []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Releases(docs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d releases %v, want %d", len(got), got, len(tt.want))
			}
			var sources []Doc // the documents releases come from, in order
			for _, d := range docs {
				if k := d.Object.GetKind(); k == "HelmRelease" || k == "Application" {
					sources = append(sources, d)
				}
			}
			for i, r := range got {
				w := tt.want[i]
				if r.Chart != w.Chart || r.Name != w.Name || r.Namespace != w.Namespace {
					t.Errorf("release %d: chart %q name %q namespace %q, want chart %q name %q namespace %q",
						i, r.Chart, r.Name, r.Namespace, w.Chart, w.Name, w.Namespace)
				}
				if g, w := asJSON(t, r.Values), asJSON(t, w.Values); g != w {
					t.Errorf("release %d: values %s, want %s", i, g, w)
				}
				if r.Source.Object != sources[i].Object {
					t.Errorf("release %d: source %s, want %s", i, r.Source, sources[i])
				}
			}
		})
	}
}

func TestReleasesRefuses(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{
			name: "Flux valuesFrom",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chart: {spec: {chart: istiod, sourceRef: {kind: HelmRepository, name: istio}}}
  valuesFrom: [{kind: ConfigMap, name: istiod-values}]
`,
			wantErr: "spec.valuesFrom is not supported",
		},
		{
			name: "Flux chartRef to a HelmChart",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chartRef: {kind: HelmChart, name: istiod}
`,
			wantErr: `spec.chartRef kind "HelmChart" is not supported`,
		},
		{
			name: "Flux chartRef to an OCIRepository that is not there",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chartRef: {kind: OCIRepository, name: istiod, namespace: flux-system}
`,
			wantErr: "OCIRepository flux-system/istiod, which is not among the documents",
		},
		{
			name: "Flux postRenderers",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chart: {spec: {chart: istiod, sourceRef: {kind: HelmRepository, name: istio}}}
  postRenderers: [{kustomize: {patches: []}}]
`,
			wantErr: "spec.postRenderers is not supported",
		},
		{
			name: "a Flux HelmRelease of an older API version",
			yaml: `
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chart: {spec: {chart: istiod, sourceRef: {kind: HelmRepository, name: istio}}}
`,
			wantErr: "only helm.toolkit.fluxcd.io/v2 is read",
		},
		{
			name: "Argo CD spec.sources",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  destination: {namespace: istio-system}
  sources:
  - {repoURL: https://istio-release.storage.googleapis.com/charts, chart: istiod, helm: {valueFiles: [$values/istiod.yaml]}}
  - {repoURL: https://git.example.com/values.git, ref: values}
`,
			wantErr: "spec.sources is not supported",
		},
		{
			name: "Argo CD helm.values as a string",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  destination: {namespace: istio-system}
  source: {repoURL: https://istio-release.storage.googleapis.com/charts, chart: istiod, helm: {values: "revision: 1-30-2"}}
`,
			wantErr: "spec.source.helm.values is not supported",
		},
		{
			name: "Argo CD helm.parameters",
			yaml: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  destination: {namespace: istio-system}
  source:
    repoURL: https://istio-release.storage.googleapis.com/charts
    chart: istiod
    helm: {parameters: [{name: revision, value: 1-30-2}]}
`,
			wantErr: "spec.source.helm.parameters is not supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := ParseDocs(tt.name, []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Releases(docs)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), docs[0].String()) {
				t.Errorf("error %q does not name the document %s", err, docs[0])
			}
		})
	}
}

// TestReleasesRenderAsRead runs the two steps together: a HelmRelease's
// values, decoded from YAML into a Kubernetes object, reach the chart.
func TestReleasesRenderAsRead(t *testing.T) {
	doc := firstDoc(t, "gateway.yaml", `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istio-ingressgateway, namespace: istio-ingress}
spec:
  chart: {spec: {chart: gateway, sourceRef: {kind: HelmRepository, name: istio}}}
  values:
    autoscaling: {enabled: false}
    replicaCount: 3
`)
	releases, err := Releases([]Doc{doc})
	if err != nil {
		t.Fatal(err)
	}
	if len(releases) != 1 {
		t.Fatalf("%d releases, want 1", len(releases))
	}
	docs, err := RenderRelease(releases[0], chartKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	d := mustFind(t, docs, "Deployment", "istio-ingress", "istio-ingressgateway")
	wantInt(t, d, 3, "spec", "replicas")
	for _, doc := range docs {
		if doc.Object.GetKind() == "HorizontalPodAutoscaler" {
			t.Errorf("%s rendered with autoscaling.enabled false", doc)
		}
	}
}

// TestRenderReleaseReadsValuesAsHelmDoes: Flux and Argo CD hand Helm the
// values as YAML, where every number is a float64 and a template prints a
// large one in exponent form. The render must do the same, or it would show
// an env value a cluster never gets ("1000000" where Helm writes "1e+06").
func TestRenderReleaseReadsValuesAsHelmDoes(t *testing.T) {
	r := ChartRelease{Chart: "gateway", Name: "gw", Namespace: "istio-ingress", Values: map[string]any{
		"env": map[string]any{"BIG": int64(1000000), "SMALL": int64(5)}, // as an Unstructured holds them
	}}
	docs, err := RenderRelease(r, chartKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	d := mustFind(t, docs, "Deployment", "istio-ingress", "gw")
	env, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	got := map[string]any{}
	for _, e := range env[0].(map[string]any)["env"].([]any) {
		e := e.(map[string]any)
		got[e["name"].(string)] = e["value"]
	}
	for name, want := range map[string]string{"BIG": "1e+06", "SMALL": "5"} {
		if got[name] != want {
			t.Errorf("env %s = %v, want %q", name, got[name], want)
		}
	}
}

// TestCommittedReleasesRender renders every Helm release of every committed
// rendered tree with the pinned chart, for the Kubernetes release the tree's
// Mesh targets: a release these checks cannot read, or values its chart
// refuses (the gateway's schema, an unknown profile), fails here.
func TestCommittedReleasesRender(t *testing.T) {
	pinned := pinnedKubernetes(t)
	var rendered []string
	for _, tree := range trees(t) {
		t.Run(TreeName(repoRoot, tree), func(t *testing.T) {
			docs, err := ReadTree(tree)
			if err != nil {
				t.Fatal(err)
			}
			releases, err := Releases(docs)
			if err != nil {
				t.Fatal(err)
			}
			target, _ := targetRelease(t, tree, pinned)
			for _, r := range releases {
				if _, err := RenderRelease(r, target.String()); err != nil {
					t.Errorf("%s: %v", r.Source, err)
				}
				rendered = append(rendered, fmt.Sprintf("  %-28s %-8s %s/%s", TreeName(repoRoot, tree), r.Chart, r.Namespace, r.Name))
			}
		})
	}
	if len(rendered) == 0 {
		t.Fatal("no committed tree installs a Helm release: nothing was rendered")
	}
	t.Logf("releases rendered:\n%s", strings.Join(rendered, "\n"))
}

func mustFind(t *testing.T, docs []Doc, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	u := findIn(docs, kind, namespace, name)
	if u == nil {
		var have []string
		for _, d := range docs {
			have = append(have, d.Object.GetKind()+" "+namespacedName(d.Object))
		}
		t.Fatalf("no %s %s/%s among:\n%s", kind, namespace, name, strings.Join(have, "\n"))
	}
	return u
}

// valueAt returns the value at a path whose numeric elements index lists.
func valueAt(u *unstructured.Unstructured, path ...string) any {
	var v any = u.Object
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i := 0
			for _, r := range p {
				i = i*10 + int(r-'0')
			}
			if i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func wantString(t *testing.T, u *unstructured.Unstructured, want string, path ...string) {
	t.Helper()
	if got := valueAt(u, path...); got != want {
		t.Errorf("%s %s: %s is %v, want %q", u.GetKind(), u.GetName(), strings.Join(path, "."), got, want)
	}
}

func wantInt(t *testing.T, u *unstructured.Unstructured, want int64, path ...string) {
	t.Helper()
	if got := valueAt(u, path...); got != want {
		t.Errorf("%s %s: %s is %v (%T), want %d", u.GetKind(), u.GetName(), strings.Join(path, "."), got, got, want)
	}
}

func asJSON(t *testing.T, v map[string]any) string {
	t.Helper()
	if len(v) == 0 {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chartCRDNames are the CRDs the pinned base chart ships, sorted.
func chartCRDNames(t *testing.T) []string {
	t.Helper()
	b, err := fs.ReadFile(manifests.FS, "charts/base/files/crd-all.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, part := range strings.Split(string(b), "\n---\n") {
		var crd struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal([]byte(part), &crd); err != nil {
			t.Fatal(err)
		}
		if crd.Kind == "CustomResourceDefinition" {
			names = append(names, crd.Metadata.Name)
		}
	}
	sort.Strings(names)
	return names
}
